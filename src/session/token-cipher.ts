// Authenticated encryption of tokens at rest: AES-256-GCM, keys derived once with HKDF-SHA256, key-list rotation.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

const format = 'v1';
const ivLength = 12; // NIST SP 800-38D §8.2: 96-bit IVs, random per message.
const tagLength = 16;

export interface TokenCipher {
  /** Encrypts `plaintext`, bound to `associatedData` (e.g. the store key and field) so a value cannot be moved. */
  encrypt(plaintext: string, associatedData: string): string;
  /** Decrypts with whichever configured key sealed it; throws when tampered, moved or sealed by an unknown key. */
  decrypt(ciphertext: string, associatedData: string): string;
}

interface DerivedKey {
  readonly id: string;
  /** A KeyObject made once: passing raw bytes makes Node wrap them anew on every call (hot path). */
  readonly key: KeyObject;
}

/**
 * Derives one AES-256 key per entry of `keyMaterial` (RFC 5869 HKDF-SHA256). The first encrypts;
 * all decrypt, so an operator rotates by prepending a new key and later dropping the old one.
 * `info` separates these keys from any other use of the same material (e.g. SESSION_SECRET).
 */
export function createTokenCipher(
  keyMaterial: readonly string[],
  info = 'bff-gateway token encryption v1',
): TokenCipher {
  if (keyMaterial.length === 0) throw new Error('token encryption needs at least one key');
  const keys: DerivedKey[] = keyMaterial.map((material) => {
    const key = Buffer.from(hkdfSync('sha256', material, 'bff-gateway', info, 32));
    // The id names the key inside each ciphertext; a hash of the derived key reveals nothing usable.
    const id = createHash('sha256').update(key).digest('base64url').slice(0, 8);
    return { id, key: createSecretKey(key) };
  });
  const [sealingKey] = keys as [DerivedKey, ...DerivedKey[]];
  const keysById = new Map(keys.map((entry) => [entry.id, entry.key]));

  return {
    encrypt(plaintext, associatedData) {
      const iv = randomBytes(ivLength);
      const cipher = createCipheriv('aes-256-gcm', sealingKey.key, iv, {
        authTagLength: tagLength,
      });
      cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        format,
        sealingKey.id,
        iv.toString('base64url'),
        body.toString('base64url'),
        tag.toString('base64url'),
      ].join('.');
    },
    decrypt(ciphertext, associatedData) {
      const parts = ciphertext.split('.');
      if (parts.length !== 5 || parts[0] !== format)
        throw new Error('stored value is not a v1 ciphertext');
      const [, keyId = '', ivText = '', bodyText = '', tagText = ''] = parts;
      const key = keysById.get(keyId);
      if (key === undefined)
        throw new Error('stored value was sealed by a key that is no longer configured');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'), {
        authTagLength: tagLength,
      });
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(Buffer.from(tagText, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(bodyText, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}
