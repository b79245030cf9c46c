import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoboError } from '../../runtime/index.js';

const ALGO = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

/** AES-256-GCM for secrets at rest (source credentials): `v1.<iv>.<tag>.<ciphertext>`, base64url. */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new MoboError('CONFIG_INVALID', 'secrets.key must be 32 bytes, base64-encoded');
  }

  /** The configured key, or `<dataDir>/secret.key` (created once, mode 0600). */
  static forNode(dataDir: string, configured: string | undefined): SecretBox {
    if (configured) return new SecretBox(Buffer.from(configured, 'base64'));
    const path = join(dataDir, 'secret.key');
    try {
      return new SecretBox(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const key = randomBytes(32);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return new SecretBox(key);
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGO, this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new MoboError('CONFIG_INVALID', 'A stored secret is malformed');
    try {
      const decipher = createDecipheriv(ALGO, this.key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new MoboError('CONFIG_INVALID', 'A stored secret cannot be decrypted with this node\'s key (secrets.key)', { cause: err });
    }
  }
}
