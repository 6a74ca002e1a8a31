// Builds every store key: REDIS_KEY_PREFIX first, and a hash in place of any secret identifier.
import { createHash } from 'node:crypto';
import type { ProviderId } from '../config/types.ts';

/**
 * Session ids and login states are bearer secrets: the store key holds their SHA-256, so reading
 * the store (a backup, a MONITOR session) never yields a value a browser could present.
 */
function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export interface StoreKeys {
  session(sessionId: string): string;
  /** Marks a login state as used (single use of the callback). */
  usedLoginState(state: string): string;
  /** The lock of one (session, provider) refresh, shared by every gateway process on this store. */
  refreshLock(sessionId: string, provider: ProviderId): string;
}

export function createStoreKeys(prefix: string): StoreKeys {
  return {
    session: (sessionId) => `${prefix}session:${digest(sessionId)}`,
    usedLoginState: (state) => `${prefix}login-used:${digest(state)}`,
    refreshLock: (sessionId, provider) => `${prefix}refresh-lock:${digest(sessionId)}:${provider}`,
  };
}

/** Hash fields of a session record. */
export const sessionFields = {
  user: 'user',
  tokens: (provider: ProviderId) => `tokens:${provider}`,
  /** Why a refresh ended this provider's connection, kept until the next login replaces the record. */
  refreshFailure: (provider: ProviderId) => `refresh-failure:${provider}`,
} as const;
