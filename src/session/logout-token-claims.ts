// Single use of back-channel logout tokens: each `jti` is claimed once in the store (Back-Channel Logout 1.0 §2.6 step 7).
import type { Store } from './store.ts';
import type { StoreKeys } from './store-keys.ts';

export interface LogoutTokenClaims {
  /** True the first time a (issuer, jti) pair is presented, false while the claim lives. */
  claim(issuer: string, tokenId: string): Promise<boolean>;
  /** Gives a claim back when the logout it was taken for failed, so the provider's retry is not a replay. */
  release(issuer: string, tokenId: string): Promise<void>;
}

/**
 * `ttlMs` must cover the oldest token the verifier still accepts (its maximum age plus clock
 * tolerance): a replay after the claim expired fails the age check instead.
 */
export function createLogoutTokenClaims(options: {
  store: Store;
  keys: StoreKeys;
  ttlMs: number;
}): LogoutTokenClaims {
  const { store, keys, ttlMs } = options;
  return {
    claim: (issuer, tokenId) => store.claimOnce(keys.usedLogoutToken(issuer, tokenId), ttlMs),
    release: (issuer, tokenId) => store.delete([keys.usedLogoutToken(issuer, tokenId)]),
  };
}
