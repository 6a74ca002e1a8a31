// The one-way digest that stands in for a bearer secret (a session id, a login state) in store keys and logs.
import { createHash } from 'node:crypto';

/**
 * SHA-256, base64url. Session ids and login states carry 256 bits of randomness, so the digest
 * cannot be reversed or guessed; reading it (in a backup, a MONITOR session, a log) never yields a
 * value a browser could present.
 */
export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}
