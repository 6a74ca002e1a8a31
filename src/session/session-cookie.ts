// The session cookie: a sealed session id (never a token), with a bounded cache of unsealed values.
import type { CookieSealer } from './cookie-sealer.ts';

/** Browser-side cookie attributes, independent of any web framework. */
export interface CookieAttributes {
  readonly httpOnly: true;
  readonly secure: boolean;
  readonly sameSite: 'Strict' | 'Lax';
  readonly path: '/';
  readonly maxAgeSeconds: number;
}

export interface SessionCookie {
  readonly name: string;
  attributes(): CookieAttributes;
  /** Seals a session id for the browser. */
  seal(sessionId: string): Promise<string>;
  /** The session id in a cookie value, or null when it is absent, forged, tampered or expired. */
  open(value: string | undefined): Promise<string | null>;
}

/**
 * Unsealing costs hundreds of microseconds of CPU (iron-session runs several WebCrypto calls), as
 * much as the whole proxy hop. The result is a pure function of the cookie string and the secrets,
 * so caching it needs no invalidation: a rotated or deleted session is caught by the store read.
 */
const cacheCapacity = 10_000;

export function createSessionCookie(options: {
  sealer: CookieSealer;
  secure: boolean;
  absoluteTimeoutSeconds: number;
  now: () => number;
}): SessionCookie {
  const { sealer, secure, absoluteTimeoutSeconds, now } = options;
  // RFC 6265bis §4.1.3.2: `__Host-` binds the cookie to this exact origin (Secure, Path=/, no Domain).
  const name = secure ? '__Host-bff-session' : 'bff-session';
  const cache = new Map<string, { sessionId: string; expiresAtMs: number }>();

  const remember = (value: string, sessionId: string, expiresAtMs: number): void => {
    if (cache.size >= cacheCapacity) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(value, { sessionId, expiresAtMs });
  };

  return {
    name,
    attributes: () => ({
      httpOnly: true,
      secure,
      // Strict: no cross-site request ever carries the session (contract §5; CSRF defence in depth).
      sameSite: 'Strict',
      path: '/',
      maxAgeSeconds: absoluteTimeoutSeconds,
    }),
    async seal(sessionId) {
      const expiresAtMs = now() + absoluteTimeoutSeconds * 1000;
      return sealer.seal({ sid: sessionId, exp: String(expiresAtMs) }, absoluteTimeoutSeconds);
    },
    async open(value) {
      if (value === undefined || value === '') return null;
      const cached = cache.get(value);
      if (cached !== undefined) {
        if (cached.expiresAtMs > now()) return cached.sessionId;
        cache.delete(value);
        return null;
      }
      const data = await sealer.unseal(value, absoluteTimeoutSeconds);
      const sessionId = data?.sid;
      const expiresAtMs = Number(data?.exp);
      if (typeof sessionId !== 'string' || sessionId === '' || !(expiresAtMs > now())) return null;
      remember(value, sessionId, expiresAtMs);
      return sessionId;
    },
  };
}
