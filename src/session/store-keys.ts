// Builds every store key: REDIS_KEY_PREFIX first, and a digest in place of any secret identifier.
import type { ProviderId } from '../config/types.ts';
import { secretDigest } from '../observability/secret-digest.ts';

/**
 * A user or a provider session is named by its issuer and its id there: `sub` and `sid` are only
 * unique per issuer (OpenID Connect Core §2), so two issuers' `sub` values never share an index.
 */
function issuerScoped(issuer: string, identifier: string): string {
  return secretDigest(`${issuer}\n${identifier}`);
}

export interface StoreKeys {
  session(sessionId: string): string;
  /** The same key, from the session id's digest (what indexes hold: never the id itself). */
  sessionOfDigest(sessionDigest: string): string;
  /** Marks a login state as used (single use of the callback). */
  usedLoginState(state: string): string;
  /** The lock of one (session, provider) refresh, shared by every gateway process on this store. */
  refreshLock(sessionId: string, provider: ProviderId): string;
  /** The same lock key, from the session id's digest (a session ended through an index). */
  refreshLockOfDigest(sessionDigest: string, provider: ProviderId): string;
  /** The sessions of one user of an OpenID provider: ended by a logout token naming only `sub`. */
  userSessions(issuer: string, subject: string): string;
  /** The sessions begun in one session at the OpenID provider (`sid`): ended by a logout token naming it. */
  providerSessionSessions(issuer: string, providerSessionId: string): string;
  /** Marks a back-channel logout token's `jti` as seen (replay defence, Back-Channel Logout §2.6). */
  usedLogoutToken(issuer: string, tokenId: string): string;
  /**
   * A completed handoff sign-in waiting for its one-time code (contract §6). Named by the digest of
   * the handoff id AND the code: a context without the matching handoff cookie cannot find, nor burn, it.
   */
  handoffCode(handoffId: string, code: string): string;
}

/**
 * Session keys remembered: every proxied request names its session's key, and a SHA-256 per
 * request is measurable on the hot path. A pure function of the id, so nothing to invalidate; the
 * ids are the ones the cookie cache (session-cookie.ts) already holds, under the same bound
 * (cleared when full: simpler than an LRU, and a miss costs one digest).
 */
const rememberedSessionKeys = 10_000;

export function createStoreKeys(prefix: string): StoreKeys {
  const sessionOfDigest = (sessionDigest: string): string => `${prefix}session:${sessionDigest}`;
  const sessionKeys = new Map<string, string>();
  const session = (sessionId: string): string => {
    let key = sessionKeys.get(sessionId);
    if (key === undefined) {
      key = sessionOfDigest(secretDigest(sessionId));
      if (sessionKeys.size >= rememberedSessionKeys) sessionKeys.clear();
      sessionKeys.set(sessionId, key);
    }
    return key;
  };
  const refreshLockOfDigest = (sessionDigest: string, provider: ProviderId): string =>
    `${prefix}refresh-lock:${sessionDigest}:${provider}`;
  return {
    session,
    sessionOfDigest,
    usedLoginState: (state) => `${prefix}login-used:${secretDigest(state)}`,
    refreshLock: (sessionId, provider) => refreshLockOfDigest(secretDigest(sessionId), provider),
    refreshLockOfDigest,
    userSessions: (issuer, subject) => `${prefix}user-sessions:${issuerScoped(issuer, subject)}`,
    providerSessionSessions: (issuer, providerSessionId) =>
      `${prefix}sid-sessions:${issuerScoped(issuer, providerSessionId)}`,
    usedLogoutToken: (issuer, tokenId) =>
      `${prefix}logout-token-used:${issuerScoped(issuer, tokenId)}`,
    handoffCode: (handoffId, code) => `${prefix}handoff:${secretDigest(`${handoffId}\n${code}`)}`,
  };
}

/** Hash fields of a session record. */
export const sessionFields = {
  user: 'user',
  tokens: (provider: ProviderId) => `tokens:${provider}`,
  /** Why a refresh ended this provider's connection, kept until the next login replaces the record. */
  refreshFailure: (provider: ProviderId) => `refresh-failure:${provider}`,
} as const;
