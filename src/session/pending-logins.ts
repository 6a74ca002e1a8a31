// Pending logins: what the callback needs, carried sealed in the browser's login cookie; the store only records its use.
import type { ProviderId } from '../config/types.ts';
import type { Store } from './store.ts';
import type { StoreKeys } from './store-keys.ts';

/** How the login ends: a redirect, a popup's postMessage, or a handoff code for another context (contract §6). */
export const loginModes = ['redirect', 'popup', 'handoff'] as const;
export type LoginMode = (typeof loginModes)[number];

export interface PendingLogin {
  readonly provider: ProviderId;
  readonly codeVerifier: string;
  /** OpenID Connect nonce; null for plain OAuth 2.0 providers. */
  readonly nonce: string | null;
  /** An absolute URL on PUBLIC_URL's origin, already validated. */
  readonly returnTo: string;
  readonly mode: LoginMode;
  /** The session this login joins (a second provider), or null for a new one (always null in handoff mode). */
  readonly joinSessionId: string | null;
  /** Handoff mode: the app context's handoff id the one-time code is bound to; null otherwise. */
  readonly handoffId: string | null;
}

/** Contract §3: a pending login expires after 10 minutes. */
export const pendingLoginTtlSeconds = 600;

export interface LoginStateClaims {
  /**
   * True the first time a state is presented at a callback, false ever after (contract §3:
   * "usable once"). Nothing is stored when a login starts, so unauthenticated traffic to
   * `/auth/login` cannot fill the store; one small key is written per callback.
   */
  claim(state: string): Promise<boolean>;
}

export function createLoginStateClaims(options: {
  store: Store;
  keys: StoreKeys;
}): LoginStateClaims {
  const { store, keys } = options;
  return {
    claim: (state) => store.claimOnce(keys.usedLoginState(state), pendingLoginTtlSeconds * 1000),
  };
}
