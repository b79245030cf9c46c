import { join } from 'node:path';
import type { MoboConfig } from '../../config/schema.js';
import { FrameCipher } from './frame-cipher.js';

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

/** The configuration in effect, as it goes into an archive: without any key. */
export function archivedConfig(config: Readonly<MoboConfig>): Record<string, unknown> {
  const copy = structuredClone(config) as Record<string, unknown> & { secrets: { key?: string }; backup: { key?: string } };
  delete copy.secrets.key;
  delete copy.backup.key;
  return copy;
}
