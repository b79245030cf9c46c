import { join } from 'node:path';
import { FrameCipher } from './frame-cipher.js';
import { type LoadOptions, type MoboConfig, schemaWith, withoutSecrets } from '../../config/index.js';

type BackupSection = MoboConfig['backup'];

export interface BackupSettings {
  /** Where archives live: `<dataDir>/backups`. */
  dir: string;
  /** Encrypts new archives and reads encrypted ones (`backup.key`, env MOBO_BACKUP__KEY). */
  cipher: FrameCipher | undefined;
}

export function backupSettings(config: Readonly<MoboConfig>, override: BackupSection = {}): BackupSettings {
  const section = { ...config.backup, ...override };
  return { dir: join(config.dataDir, 'backups'), cipher: section.key ? FrameCipher.fromBase64(section.key) : undefined };
}

/**
 * The configuration in effect, as it goes into an archive: without any secret the schema
 * marks (config/secrets.ts: keys, app secrets, credentials in URLs), the components'
 * sections included.
 */
export function archivedConfig(config: Readonly<MoboConfig>, sections: LoadOptions['sections'] = []): Record<string, unknown> {
  return withoutSecrets(config, schemaWith(sections)) as Record<string, unknown>;
}
