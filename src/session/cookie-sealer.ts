// Seals and unseals cookie values with iron-session, the first SESSION_SECRET sealing and every one unsealing.
import { sealData, unsealData } from 'iron-session';

export interface CookieSealer {
  /** Seals `data` so the browser can neither read nor alter it; the seal expires after `ttlSeconds`. */
  seal(data: Readonly<Record<string, string>>, ttlSeconds: number): Promise<string>;
  /** The sealed data, or null when the value is garbage, tampered, expired, or sealed by an unknown secret. */
  unseal(sealed: string, ttlSeconds: number): Promise<Record<string, unknown> | null>;
}

/** iron seals are printable ASCII well under 4 KiB; anything else is refused before any crypto runs. */
const plausibleSeal = /^Fe26\.2\*[\x21-\x7e]{1,4000}$/;

/**
 * Each secret is used as iron-session's single password (id 1), so with one secret a cookie opens
 * with `unsealData(cookie, { password: SESSION_SECRET })` (contract §2), and rotation is order-free:
 * unsealing tries each configured secret until one authenticates the seal.
 */
export function createCookieSealer(secrets: readonly string[]): CookieSealer {
  const [sealingSecret] = secrets;
  if (sealingSecret === undefined) throw new Error('cookie sealing needs at least one secret');
  return {
    seal: (data, ttlSeconds) => sealData({ ...data }, { password: sealingSecret, ttl: ttlSeconds }),
    async unseal(sealed, ttlSeconds) {
      if (!plausibleSeal.test(sealed)) return null;
      for (const secret of secrets) {
        const data = await unsealData<Record<string, unknown>>(sealed, {
          password: secret,
          ttl: ttlSeconds,
        });
        if (Object.keys(data).length > 0) return data;
      }
      return null;
    },
  };
}
