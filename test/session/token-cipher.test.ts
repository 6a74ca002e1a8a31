// Token encryption at rest: confidentiality, integrity, binding to its place, and key rotation.
import { describe, expect, it } from 'vitest';
import { createTokenCipher } from '../../src/session/token-cipher.ts';

const keyA = 'key-material-A-at-least-thirty-two-characters';
const keyB = 'key-material-B-at-least-thirty-two-characters';
const keyC = 'key-material-C-at-least-thirty-two-characters';
const plaintext =
  '{"access_token":"eyJhbGciOi.secret-access-token","refresh_token":"rt-ünïcödé-🔐"}';
const place = 'bff:session:abc\ntokens:graph';

/** Flips one bit of a base64url part, so the change survives decoding (unlike editing a padding character). */
function flipBit(part: string): string {
  const bytes = Buffer.from(part, 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  return bytes.toString('base64url');
}

function replacePart(ciphertext: string, index: number, replace: (part: string) => string): string {
  const parts = ciphertext.split('.');
  parts[index] = replace(parts[index] ?? '');
  return parts.join('.');
}

describe('createTokenCipher', () => {
  it('decrypts what it encrypted', () => {
    const cipher = createTokenCipher([keyA]);
    expect(cipher.decrypt(cipher.encrypt(plaintext, place), place)).toBe(plaintext);
    expect(cipher.decrypt(cipher.encrypt('', place), place)).toBe('');
  });

  it('produces a different ciphertext each time (random IV) that never contains the plaintext', () => {
    const cipher = createTokenCipher([keyA]);
    const ciphertexts = Array.from({ length: 20 }, () => cipher.encrypt(plaintext, place));
    expect(new Set(ciphertexts).size).toBe(ciphertexts.length);
    for (const ciphertext of ciphertexts) {
      expect(ciphertext).not.toContain('secret-access-token');
      expect(ciphertext).not.toContain(Buffer.from(plaintext).toString('base64url').slice(0, 16));
    }
  });

  it.each([
    ['the format version', 0, () => 'v2'],
    ['the key id', 1, (part: string) => `${part.slice(1)}x`],
    ['the IV', 2, flipBit],
    ['the encrypted body', 3, flipBit],
    ['the authentication tag', 4, flipBit],
  ])('a ciphertext with tampered %s does not decrypt', (_part, index, tamper) => {
    const cipher = createTokenCipher([keyA]);
    const tampered = replacePart(cipher.encrypt(plaintext, place), index, tamper);
    expect(() => cipher.decrypt(tampered, place)).toThrow();
  });

  it('a ciphertext with a truncated or extra part does not decrypt', () => {
    const cipher = createTokenCipher([keyA]);
    const ciphertext = cipher.encrypt(plaintext, place);
    expect(() => cipher.decrypt(ciphertext.split('.').slice(0, 4).join('.'), place)).toThrow();
    expect(() => cipher.decrypt(`${ciphertext}.extra`, place)).toThrow();
  });

  it('a value moved to another key or field (different associated data) does not decrypt', () => {
    const cipher = createTokenCipher([keyA]);
    const ciphertext = cipher.encrypt(plaintext, place);
    expect(() => cipher.decrypt(ciphertext, 'bff:session:abc\ntokens:servicenow')).toThrow();
    expect(() => cipher.decrypt(ciphertext, 'bff:session:xyz\ntokens:graph')).toThrow();
  });

  it('after rotation, old values still decrypt and new values are sealed by the new key only', () => {
    const before = createTokenCipher([keyA]);
    const rotated = createTokenCipher([keyB, keyA]);
    const oldValue = before.encrypt(plaintext, place);
    expect(rotated.decrypt(oldValue, place)).toBe(plaintext);

    const newValue = rotated.encrypt(plaintext, place);
    expect(createTokenCipher([keyB]).decrypt(newValue, place)).toBe(plaintext);
    expect(() => before.decrypt(newValue, place)).toThrow(/no longer configured/);
  });

  it('a value sealed by a key that is not configured fails with a clear error', () => {
    const ciphertext = createTokenCipher([keyA]).encrypt(plaintext, place);
    expect(() => createTokenCipher([keyC]).decrypt(ciphertext, place)).toThrow(
      'stored value was sealed by a key that is no longer configured',
    );
  });

  it('refuses an empty key list', () => {
    expect(() => createTokenCipher([])).toThrow(/at least one key/);
  });
});
