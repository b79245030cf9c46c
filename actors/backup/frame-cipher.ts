import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { MoboError } from '../../runtime/index.js';

const ALGO = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM per archive frame: `iv | ciphertext | tag`, with the frame's position bound in
 * as additional data, so frames cannot be dropped, reordered or spliced from another archive.
 * The key never enters the archive; only a check value (an HMAC of a constant) does, which
 * tells a wrong key from a damaged file.
 */
export class FrameCipher {
  private constructor(private readonly key: Buffer) {}

  /** `backup.key`: base64 of 32 bytes. */
  static fromBase64(encoded: string): FrameCipher {
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32) throw new MoboError('CONFIG_INVALID', 'backup.key must be 32 bytes, base64-encoded');
    return new FrameCipher(key);
  }

  keyCheck(): string {
    return createHmac('sha256', this.key).update('mobo-backup-key-check').digest('hex').slice(0, 32);
  }

  seal(plain: Buffer, aad: Buffer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGO, this.key, iv);
    cipher.setAAD(aad);
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, data, cipher.getAuthTag()]);
  }

  open(sealed: Buffer, aad: Buffer): Buffer {
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new MoboError('BACKUP_CORRUPT', 'An encrypted frame is too short');
    try {
      const decipher = createDecipheriv(ALGO, this.key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw new MoboError('BACKUP_CORRUPT', 'An encrypted frame failed its authentication check', { cause: err });
    }
  }
}
