// On-demand refresh, one at a time per (session, provider): an in-process map first, then a lock in the store shared by every replica.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayConfig, ProviderId } from '../config/types.ts';
import { GatewayError, reauthRequired } from '../errors/gateway-error.ts';
import { noMetrics, type GatewayMetrics } from '../observability/gateway-metrics.ts';
import type { Logger } from '../observability/logger.ts';
import type { SessionRepository } from '../session/session-repository.ts';
import type { ProviderTokens, ProxySessionView } from '../session/session-types.ts';
import type { StoreKeys } from '../session/store-keys.ts';
import type { Store } from '../session/store.ts';
import type { AuthorizationServers } from './authorization-servers.ts';
import { RefreshFailure } from './refresh-failure.ts';
import { revokeProviderTokens } from './token-revocation.ts';
import { redeemRefreshToken } from './refresh-grant.ts';
import {
  auditRefreshFailure,
  auditRefreshSuccess,
  missingTokensError,
  refreshFailureError,
} from './refresh-report.ts';

export interface TokenRefresher {
  /**
   * Tokens fit to forward now: `view.tokens` unless they expire within TOKEN_REFRESH_SKEW_S, else
   * the result of the one refresh in flight for this (session, provider), started if none is.
   */
  usableTokens(
    view: ProxySessionView & { tokens: ProviderTokens },
    provider: ProviderId,
  ): Promise<ProviderTokens>;
  /**
   * After the upstream answered 401 to `rejected` (revoked, clock skew): tokens other than those,
   * refreshed now unless another request already replaced them.
   */
  replaceRejected(
    sessionId: string,
    provider: ProviderId,
    rejected: ProviderTokens,
  ): Promise<ProviderTokens>;
}

/** Between two looks at a lock another process holds: short against a refresh's ~100 ms round trip. */
const lockPollIntervalMs = 50;
/** The lock outlives the refresh's own bound by this much, so it never expires under a live holder. */
const lockMarginMs = 2_000;
/**
 * After a transient failure the lock keeps its outcome this long: requests arriving meanwhile get
 * the same 503 at once instead of hammering an authorization server that is down.
 */
const failureCoolDownMs = 1_000;
const outcomePrefix = 'outcome:';

interface RecordedOutcome {
  readonly kind: 'unavailable' | 'misconfigured';
  readonly retryAfterSeconds: number;
}

export function createTokenRefresher(options: {
  config: GatewayConfig;
  authorizationServers: AuthorizationServers;
  sessions: SessionRepository;
  store: Store;
  keys: StoreKeys;
  logger: Logger;
  now: () => number;
  /** `bff_refresh_attempts_total`: one outcome per request that needed a refresh. */
  metrics?: GatewayMetrics;
}): TokenRefresher {
  const { config, sessions, store, keys, logger, now } = options;
  const metrics = options.metrics ?? noMetrics;
  const skewMs = config.tokenRefreshSkewSeconds * 1000;
  const lockTtlMs = config.providerTimeoutMs + lockMarginMs;
  /** Refreshes this process is running or waiting for, keyed by session and provider. */
  const inFlight = new Map<string, Promise<ProviderTokens>>();

  /**
   * Due for a refresh: within the skew of its expiry. Without a refresh token nothing can renew
   * it early, so it serves until it really expires (and then the connection ends).
   */
  const isExpiring = (tokens: ProviderTokens): boolean =>
    tokens.expiresAtMs - (tokens.refreshToken === null ? 0 : skewMs) <= now();

  function singleFlight(
    sessionId: string,
    provider: ProviderId,
    isStale: (tokens: ProviderTokens) => boolean,
  ): Promise<ProviderTokens> {
    const flightKey = `${provider}\n${sessionId}`;
    let flight = inFlight.get(flightKey);
    if (flight !== undefined) {
      // This process's refresh is already running: the request waits for its result.
      metrics.countRefresh(provider, 'joined');
      return flight;
    }
    flight = refreshUnderLock(sessionId, provider, isStale).finally(() =>
      inFlight.delete(flightKey),
    );
    inFlight.set(flightKey, flight);
    return flight;
  }

  /** Style rule 8 (oauth2-proxy stored_session.go): refresh under a lock, reload after taking it, check again. */
  async function refreshUnderLock(
    sessionId: string,
    provider: ProviderId,
    isStale: (tokens: ProviderTokens) => boolean,
  ): Promise<ProviderTokens> {
    const lockKey = keys.refreshLock(sessionId, provider);
    const owner = randomBytes(16).toString('base64url');
    // PROVIDER_TIMEOUT_S also bounds how long a request waits for another process's refresh (contract §2).
    const waitUntil = performance.now() + config.providerTimeoutMs;
    for (;;) {
      const current = await currentTokens(sessionId, provider);
      if (!isStale(current.tokens)) {
        // Another process (or an earlier flight) already stored fresh tokens: no grant sent.
        metrics.countRefresh(provider, 'joined');
        return current.tokens;
      }
      if (await store.acquireLock(lockKey, owner, lockTtlMs)) {
        return refreshHoldingLock(sessionId, provider, isStale, lockKey, owner);
      }
      const held = await store.readLock(lockKey);
      if (held?.startsWith(outcomePrefix)) {
        metrics.countRefresh(provider, 'joined');
        throw outcomeError(provider, held);
      }
      if (held !== null && performance.now() >= waitUntil) {
        // Answered as an outage (503): counted as one, the provider did not answer in time.
        metrics.countRefresh(provider, 'unavailable');
        throw new GatewayError(
          503,
          'provider_unavailable',
          `a ${provider} refresh is still running`,
          {
            retryAfterSeconds: 1,
          },
        );
      }
      if (held !== null) await sleep(lockPollIntervalMs);
    }
  }

  async function refreshHoldingLock(
    sessionId: string,
    provider: ProviderId,
    isStale: (tokens: ProviderTokens) => boolean,
    lockKey: string,
    owner: string,
  ): Promise<ProviderTokens> {
    let outcome: { value: string; ttlMs: number } | undefined;
    try {
      // Another process may have finished between our read and the lock: read again under it.
      const current = await currentTokens(sessionId, provider);
      if (!isStale(current.tokens)) {
        metrics.countRefresh(provider, 'joined');
        return current.tokens;
      }
      const resolved = await options.authorizationServers.resolve(provider);
      try {
        const refreshed = await redeemRefreshToken(resolved, current.tokens, now);
        // The authorization server's verdict, whatever the compare-and-set below finds.
        metrics.countRefresh(provider, 'success');
        if (!(await sessions.replaceTokens(sessionId, provider, current.version, refreshed))) {
          // Under the lock only a logout changes the tokens: the new ones belong to nobody now,
          // so they are revoked (RFC 7009, best effort) and the request is not forwarded.
          void revokeProviderTokens(options.authorizationServers, provider, refreshed, logger);
          throw reauthRequired(provider, 'session_expired', 'the session ended during the refresh');
        }
        auditRefreshSuccess(logger, provider, sessionId, current.tokens.subject);
        return refreshed;
      } catch (error) {
        if (!(error instanceof RefreshFailure)) throw error;
        metrics.countRefresh(provider, error.kind);
        auditRefreshFailure(logger, provider, sessionId, current.tokens.subject, error);
        if (error.kind === 'rejected') {
          await sessions.recordRejectedRefresh(sessionId, provider, current.version, {
            providerError: error.providerError,
          });
        } else {
          const recorded: RecordedOutcome = {
            kind: error.kind,
            retryAfterSeconds: error.retryAfterSeconds,
          };
          outcome = {
            value: `${outcomePrefix}${JSON.stringify(recorded)}`,
            ttlMs: failureCoolDownMs,
          };
        }
        throw refreshFailureError(provider, error);
      }
    } finally {
      await store.releaseLock(lockKey, owner, outcome).catch((error: unknown) => {
        // The lock expires by itself; a failed release only delays the next refresh until then.
        logger.warn(
          { provider, error: { name: (error as Error).name } },
          'refresh lock release failed',
        );
      });
    }
  }

  /** The stored tokens, or the reauth answer when the session or the connection is gone. */
  async function currentTokens(
    sessionId: string,
    provider: ProviderId,
  ): Promise<{ tokens: ProviderTokens; version: string }> {
    const view = await sessions.loadForProxy(sessionId, provider);
    if (view === null)
      throw reauthRequired(provider, 'session_expired', 'the session has expired or ended');
    if (view.tokens === null || view.version === null)
      throw missingTokensError(provider, view.refreshFailure);
    return { tokens: view.tokens, version: view.version };
  }

  return {
    async usableTokens(view, provider) {
      if (!isExpiring(view.tokens)) return view.tokens;
      try {
        return await singleFlight(view.sessionId, provider, isExpiring);
      } catch (error) {
        // Refreshing early is a courtesy: while the authorization server is down, a token that has
        // not yet expired still serves (tokens kept, contract §4); only an expired one needs the 503.
        const transient = error instanceof GatewayError && error.code === 'provider_unavailable';
        if (transient && view.tokens.expiresAtMs > now()) return view.tokens;
        throw error;
      }
    },
    replaceRejected(sessionId, provider, rejected) {
      // Stale while the store still holds the very access token the upstream refused.
      return singleFlight(
        sessionId,
        provider,
        (tokens) => tokens.accessToken === rejected.accessToken,
      );
    },
  };
}

/** The answer recorded by the process whose refresh failed transiently, for the requests that waited on it. */
function outcomeError(provider: ProviderId, held: string): GatewayError {
  let recorded: Partial<RecordedOutcome> = {};
  try {
    recorded = JSON.parse(held.slice(outcomePrefix.length)) as Partial<RecordedOutcome>;
  } catch {
    // A value this gateway did not write: answer as for an outage.
  }
  const retryAfterSeconds =
    typeof recorded.retryAfterSeconds === 'number' ? recorded.retryAfterSeconds : 1;
  return refreshFailureError(
    provider,
    new RefreshFailure(
      recorded.kind === 'misconfigured' ? 'misconfigured' : 'unavailable',
      'recorded',
      {
        retryAfterSeconds,
      },
    ),
  );
}
