// Indexes from a user and from a provider session to the gateway sessions they began: what a back-channel logout ends.
import type { Store } from './store.ts';
import type { StoreKeys } from './store-keys.ts';
import type { SessionUser } from './session-types.ts';

/**
 * What a back-channel logout token names (OpenID Connect Back-Channel Logout 1.0 §2.4): the
 * provider session `sid` when present (one login), else every session of the user `sub`.
 */
export type LogoutMatch =
  | { readonly issuer: string; readonly providerSessionId: string }
  | { readonly issuer: string; readonly subject: string };

export interface SessionIndex {
  /** Names a session under its user and provider session; written before the session itself, so no live session is missing. */
  add(sessionDigest: string, user: SessionUser | null, ttlMs: number): Promise<void>;
  /** Forgets a session that ended or was replaced. */
  remove(sessionDigest: string, user: SessionUser | null): Promise<void>;
  /** The digests of every session `match` names; those index entries are consumed. */
  take(match: LogoutMatch): Promise<string[]>;
}

export function createSessionIndex(store: Store, keys: StoreKeys): SessionIndex {
  /** Only a user an OpenID provider named (with its issuer) can be the target of a logout token. */
  const indexKeysOf = (user: SessionUser | null): string[] => {
    if (user?.issuer == null) return [];
    const indexKeys = [keys.userSessions(user.issuer, user.sub)];
    if (user.providerSessionId !== null)
      indexKeys.push(keys.providerSessionSessions(user.issuer, user.providerSessionId));
    return indexKeys;
  };
  return {
    async add(sessionDigest, user, ttlMs) {
      await Promise.all(
        indexKeysOf(user).map((key) => store.addToIndex(key, sessionDigest, ttlMs)),
      );
    },
    async remove(sessionDigest, user) {
      await Promise.all(
        indexKeysOf(user).map((key) => store.removeFromIndex(key, [sessionDigest])),
      );
    },
    take(match) {
      return store.takeIndex(
        'providerSessionId' in match
          ? keys.providerSessionSessions(match.issuer, match.providerSessionId)
          : keys.userSessions(match.issuer, match.subject),
      );
    },
  };
}
