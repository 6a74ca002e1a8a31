// Session records in the store: the user and each provider's tokens, encrypted, read in one round trip.
import { randomBytes } from 'node:crypto';
import type { ProviderId } from '../config/types.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { providerIds } from '../config/types.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import { secretDigest } from '../observability/secret-digest.ts';
import { createSessionIndex, type LogoutMatch } from './session-index.ts';
import type { SessionRead, Store } from './store.ts';
import { sessionFields, type StoreKeys } from './store-keys.ts';
import type {
  EndedSession,
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
  /**
   * Logout: deletes the session and its index entries in one atomic take, returning what it held
   * (the tokens to revoke). Null when it was already gone; of concurrent calls one gets the tokens.
   */
  endSession(sessionId: string): Promise<EndedSession | null>;
  /** Back-channel logout: ends every session the logout token names, returning what each held. */
  endSessionsMatching(match: LogoutMatch): Promise<EndedSession[]>;
  /**
   * Disconnects one provider and keeps the session: its tokens and any recorded refresh failure are
   * removed, with the user too when `forgetUser` (the provider that named them). Returns the
   * removed tokens (to revoke), or null when the session held none for it.
   */
  disconnectProvider(
    sessionId: string,
    provider: ProviderId,
    options: { forgetUser: boolean },
  ): Promise<ProviderTokens | null>;
}

/**
 * The decrypted view of a read, kept on the read object itself: when the session read cache serves
 * the very same object again, the AES-GCM decryption and JSON parsing are paid once per cached read,
 * not once per request, and the view (plaintext tokens) lives exactly as long as the cached read
 * (SESSION_CACHE_TTL_S, docs/SECURITY.md §4.4). A read from the store itself is a new object each
 * time. Not a WeakMap: V8's scavenges keep a WeakMap's values alive until a full GC (forwarder.ts).
 */
const proxyViewOfRead = Symbol('proxyView');

type ReadWithView = SessionRead & { [proxyViewOfRead]?: ProxySessionView };

/** A disconnect retries its compare-and-set this often while refreshes keep replacing the tokens. */
const disconnectAttempts = 3;

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
  const index = createSessionIndex(store, keys);
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

  /** The fields of a whole session, in the order `snapshotOf` reads them. */
  const snapshotFields = [sessionFields.user, ...providerIds.map((id) => sessionFields.tokens(id))];
  const snapshotOf = (key: string, values: readonly (string | null)[]) => {
    const providers = new Map<ProviderId, ProviderTokens>();
    providerIds.forEach((id, position) => {
      const tokens = open<ProviderTokens>(key, sessionFields.tokens(id), values[position + 1]);
      if (tokens !== null) providers.set(id, tokens);
    });
    return { user: open<SessionUser>(key, sessionFields.user, values[0]), providers };
  };
  /**
   * Takes (reads and deletes) the session and every other key naming it: its index entries and
   * any refresh lock (a refresh holding one finds its session gone when it writes).
   */
  const takeSession = async (sessionDigest: string): Promise<EndedSession | null> => {
    const key = keys.sessionOfDigest(sessionDigest);
    const taken = await store.takeSession(key, snapshotFields);
    if (taken === null) return null;
    const ended = { sessionDigest, ...snapshotOf(key, taken.values) };
    await index.remove(sessionDigest, ended.user);
    await store.delete(providerIds.map((id) => keys.refreshLockOfDigest(sessionDigest, id)));
    return ended;
  };

  const forgetIndexedUser = async (
    sessionId: string,
    key: string,
    storedUser: string | null | undefined,
  ): Promise<void> => {
    await index.remove(
      secretDigest(sessionId),
      open<SessionUser>(key, sessionFields.user, storedUser),
    );
  };

  return {
    async loadForProxy(sessionId, provider) {
      const key = keys.session(sessionId);
      const field = sessionFields.tokens(provider);
      const failureField = sessionFields.refreshFailure(provider);
      const read = await store.readSession(key, [field, failureField], now() + idleMs);
      if (read === null) return null;
      const known = (read as ReadWithView)[proxyViewOfRead];
      if (known?.sessionId === sessionId) return known;
      const tokens = open<ProviderTokens>(key, field, read.values[0]);
      const view: ProxySessionView = {
        sessionId,
        tokens,
        version: tokens === null ? null : (read.values[0] ?? null),
        refreshFailure: open<StoredRefreshFailure>(key, failureField, read.values[1]),
      };
      (read as ReadWithView)[proxyViewOfRead] = view;
      return view;
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
      const read = await store.readSession(key, snapshotFields, now() + idleMs);
      if (read === null) return null;
      return { sessionId, ...snapshotOf(key, read.values) };
    },

    async commitLogin({ previous, provider, tokens, user }) {
      const sessionId = randomBytes(32).toString('base64url');
      const sessionDigest = secretDigest(sessionId);
      const key = keys.sessionOfDigest(sessionDigest);
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
      // Indexed first: a back-channel logout arriving meanwhile finds the session (or a dangling entry).
      await index.add(sessionDigest, sessionUser, absoluteMs);
      // Each interactive login starts a new absolute window: the user has just authenticated.
      await store.createSession(key, fields, startedAt + absoluteMs, startedAt + idleMs);
      if (previous !== null) {
        await store.delete([keys.session(previous.sessionId)]);
        await index.remove(secretDigest(previous.sessionId), previous.user);
      }
      return sessionId;
    },

    endSession(sessionId) {
      return takeSession(secretDigest(sessionId));
    },

    async endSessionsMatching(match) {
      const digests = await index.take(match);
      const ended = await Promise.all(digests.map((sessionDigest) => takeSession(sessionDigest)));
      return ended.filter((session) => session !== null);
    },

    async disconnectProvider(sessionId, provider, { forgetUser }) {
      const key = keys.session(sessionId);
      const field = sessionFields.tokens(provider);
      const failureField = sessionFields.refreshFailure(provider);
      const userFields = forgetUser ? [sessionFields.user] : [];
      // Compare-and-set, so the tokens removed are the ones revoked even while a refresh rotates them.
      for (let attempt = 0; attempt < disconnectAttempts; attempt += 1) {
        const read = await store.readSession(key, [field, sessionFields.user], now() + idleMs);
        if (read === null) return null;
        const [stored, storedUser] = read.values;
        if (stored === null || stored === undefined) {
          await store.deleteSessionFields(key, [failureField, ...userFields]);
          if (forgetUser) await forgetIndexedUser(sessionId, key, storedUser);
          return null;
        }
        const removed = [field, failureField, ...userFields];
        if (await store.replaceSessionFields(key, { field, value: stored }, {}, removed)) {
          if (forgetUser) await forgetIndexedUser(sessionId, key, storedUser);
          return open<ProviderTokens>(key, field, stored);
        }
      }
      throw new GatewayError(503, 'store_unavailable', 'the session kept changing; try again', {
        retryAfterSeconds: 1,
      });
    },
  };
}
