// Pending logins: what the callback needs (PKCE verifier, nonce, return path), stored encrypted and usable once.
import type { ProviderId } from '../config/types.ts';
import type { Store } from './store.ts';
import type { StoreKeys } from './store-keys.ts';
import type { TokenCipher } from './token-cipher.ts';

export type LoginMode = 'redirect' | 'popup';

export interface PendingLogin {
  readonly provider: ProviderId;
  readonly codeVerifier: string;
  /** OpenID Connect nonce; null for plain OAuth 2.0 providers. */
  readonly nonce: string | null;
  /** A same-origin path, already validated. */
  readonly returnTo: string;
  readonly mode: LoginMode;
  /** The session this login joins (a second provider), or null for a new one. */
  readonly joinSessionId: string | null;
}

/** Contract §3: a pending login expires after 10 minutes. */
export const pendingLoginTtlSeconds = 600;

export interface PendingLogins {
  save(state: string, login: PendingLogin): Promise<void>;
  /** Returns the login at most once; null when unknown, expired, or already used. */
  take(state: string): Promise<PendingLogin | null>;
}

export function createPendingLogins(options: {
  store: Store;
  cipher: TokenCipher;
  keys: StoreKeys;
}): PendingLogins {
  const { store, cipher, keys } = options;
  return {
    async save(state, login) {
      const key = keys.pendingLogin(state);
      await store.putOnce(
        key,
        cipher.encrypt(JSON.stringify(login), key),
        pendingLoginTtlSeconds * 1000,
      );
    },
    async take(state) {
      const key = keys.pendingLogin(state);
      const value = await store.takeOnce(key);
      if (value === null) return null;
      try {
        return JSON.parse(cipher.decrypt(value, key)) as PendingLogin;
      } catch {
        return null;
      }
    },
  };
}
