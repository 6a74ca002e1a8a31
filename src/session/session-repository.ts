// Session records in the store: the user and each provider's tokens, encrypted, read in one round trip.
import { randomBytes } from 'node:crypto';
import type { ProviderId } from '../config/types.ts';
import { providerIds } from '../config/types.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from './store.ts';
import { sessionFields, type StoreKeys } from './store-keys.ts';
import type {
  ProviderTokens,
  ProxySessionView,
  SessionSnapshot,
  SessionUser,
  StoredRefreshFailure,
} from './session-types.ts';
import type { TokenCipher } from './token-cipher.ts';

export interface SessionRepository {
  /** The session and one provider's tokens, for the proxy: one store round trip, one decrypt. Null: gone or expired. */
  loadForProxy(sessionId: string, provider: ProviderId): Promise<ProxySessionView | null>;
  /**
   * Stores refreshed tokens if the stored ones are still `version` (compare-and-set), clearing any
   * recorded refresh failure. False when the session is gone or another write came first.
   */
  replaceTokens(
    sessionId: string,
    provider: ProviderId,
    version: string,
    tokens: ProviderTokens,
  ): Promise<boolean>;
  /**
   * Ends one provider's connection after a rejected refresh: deletes its tokens and records why, if
   * the stored tokens are still `version`. The other providers of the session are untouched.
   */
  recordRejectedRefresh(
    sessionId: string,
    provider: ProviderId,
    version: string,
    failure: StoredRefreshFailure,
  ): Promise<boolean>;
  /** Everything the session holds, for `/auth/session` and logins that join it. */
  loadSnapshot(sessionId: string): Promise<SessionSnapshot | null>;
  /**
   * Stores a completed login under a NEW session id (session fixation defence, RFC 9700 §4.2 and
   * OWASP session management): the previous session's providers are carried over, then it is deleted.
   */
  commitLogin(login: {
    previous: SessionSnapshot | null;
    provider: ProviderId;
    tokens: ProviderTokens;
    user: SessionUser | null;
  }): Promise<string>;
  delete(sessionId: string): Promise<void>;
}

export function createSessionRepository(options: {
  store: Store;
  cipher: TokenCipher;
  keys: StoreKeys;
  idleTimeoutSeconds: number;
  absoluteTimeoutSeconds: number;
  logger: Logger;
  now: () => number;
}): SessionRepository {
  const { store, cipher, keys, logger, now } = options;
  const idleMs = options.idleTimeoutSeconds * 1000;
  const absoluteMs = options.absoluteTimeoutSeconds * 1000;

  /** The ciphertext is bound to its key and field (AAD), so a value copied elsewhere fails to decrypt. */
  const seal = (key: string, field: string, value: unknown): string =>
    cipher.encrypt(JSON.stringify(value), `${key}\n${field}`);
  const open = <T>(key: string, field: string, value: string | null | undefined): T | null => {
    if (value === null || value === undefined) return null;
    try {
      return JSON.parse(cipher.decrypt(value, `${key}\n${field}`)) as T;
    } catch (error) {
      // A rotated-away key or a tampered value: treat as absent, never as valid.
      // Name only: a JSON.parse message would quote the decrypted text.
      logger.warn(
        { field, error: describeError(error) },
        'a stored session value could not be decrypted',
      );
      return null;
    }
  };

  return {
    async loadForProxy(sessionId, provider) {
      const key = keys.session(sessionId);
      const field = sessionFields.tokens(provider);
      const failureField = sessionFields.refreshFailure(provider);
      const read = await store.readSession(key, [field, failureField], now() + idleMs);
      if (read === null) return null;
      const tokens = open<ProviderTokens>(key, field, read.values[0]);
      return {
        sessionId,
        tokens,
        version: tokens === null ? null : (read.values[0] ?? null),
        refreshFailure: open<StoredRefreshFailure>(key, failureField, read.values[1]),
      };
    },

    async replaceTokens(sessionId, provider, version, tokens) {
      const key = keys.session(sessionId);
      const field = sessionFields.tokens(provider);
      return store.replaceSessionFields(
        key,
        { field, value: version },
        { [field]: seal(key, field, tokens) },
        [sessionFields.refreshFailure(provider)],
      );
    },

    async recordRejectedRefresh(sessionId, provider, version, failure) {
      const key = keys.session(sessionId);
      const field = sessionFields.tokens(provider);
      const failureField = sessionFields.refreshFailure(provider);
      return store.replaceSessionFields(
        key,
        { field, value: version },
        { [failureField]: seal(key, failureField, failure) },
        [field],
      );
    },

    async loadSnapshot(sessionId) {
      const key = keys.session(sessionId);
      const fields = [sessionFields.user, ...providerIds.map((id) => sessionFields.tokens(id))];
      const read = await store.readSession(key, fields, now() + idleMs);
      if (read === null) return null;
      const providers = new Map<ProviderId, ProviderTokens>();
      providerIds.forEach((id, index) => {
        const tokens = open<ProviderTokens>(key, sessionFields.tokens(id), read.values[index + 1]);
        if (tokens !== null) providers.set(id, tokens);
      });
      return {
        sessionId,
        user: open<SessionUser>(key, sessionFields.user, read.values[0]),
        providers,
      };
    },

    async commitLogin({ previous, provider, tokens, user }) {
      const sessionId = randomBytes(32).toString('base64url');
      const key = keys.session(sessionId);
      // One session is one identity: a login as someone else starts afresh instead of joining.
      const sameIdentity =
        user === null || previous?.user == null || previous.user.sub === user.sub;
      const carried = sameIdentity ? previous : null;
      const providers = new Map(carried?.providers ?? []);
      providers.set(provider, tokens);
      const fields: Record<string, string> = {};
      const sessionUser = user ?? carried?.user ?? null;
      if (sessionUser !== null)
        fields[sessionFields.user] = seal(key, sessionFields.user, sessionUser);
      for (const [id, providerTokens] of providers) {
        fields[sessionFields.tokens(id)] = seal(key, sessionFields.tokens(id), providerTokens);
      }
      const startedAt = now();
      // Each interactive login starts a new absolute window: the user has just authenticated.
      await store.createSession(key, fields, startedAt + absoluteMs, startedAt + idleMs);
      if (previous !== null) await store.delete([keys.session(previous.sessionId)]);
      return sessionId;
    },

    async delete(sessionId) {
      await store.delete([keys.session(sessionId)]);
    },
  };
}
