// The composition root: builds every dependency once from the configuration and returns the app.
import type { Hono } from 'hono';
import type { GatewayConfig, ProviderId } from '../config/types.ts';
import { createAuthorizationServers } from '../flows/authorization-servers.ts';
import {
  createLogoutTokenVerifier,
  logoutTokenClockToleranceSeconds,
  logoutTokenMaxAgeSeconds,
} from '../flows/logout-token.ts';
import { createTokenRefresher } from '../flows/token-refresher.ts';
import type { Logger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { createForwarder, type Forwarder } from '../proxy/forwarder.ts';
import { createCookieSealer } from '../session/cookie-sealer.ts';
import { createStore } from '../session/create-store.ts';
import { createHandoffCodes } from '../session/handoff-codes.ts';
import { createHandoffCookie } from '../session/handoff-cookie.ts';
import { createLoginCookie } from '../session/login-cookie.ts';
import { createLogoutTokenClaims } from '../session/logout-token-claims.ts';
import { createLoginStateClaims } from '../session/pending-logins.ts';
import { createSessionCookie } from '../session/session-cookie.ts';
import { createSessionRepository } from '../session/session-repository.ts';
import { createStoreKeys } from '../session/store-keys.ts';
import type { Store } from '../session/store.ts';
import { createTokenCipher } from '../session/token-cipher.ts';
import { createAppForwarderFor } from './app-upstream.ts';
import { createApp } from './create-app.ts';
import { createInFlightLimit } from './in-flight-limit.ts';
import type { GatewayDependencies, GatewayEnv } from './gateway-env.ts';

export interface Gateway {
  readonly app: Hono<GatewayEnv>;
  readonly dependencies: GatewayDependencies;
  /** Closes upstream keep-alive sockets and the store. */
  close(): Promise<void>;
}

export function buildGateway(
  config: GatewayConfig,
  logger: Logger,
  options: { now?: () => number; store?: Store } = {},
): Gateway {
  const now = options.now ?? Date.now;
  const metrics = createMetrics();
  const store =
    options.store ??
    createStore({
      redisUrl: config.redisUrl,
      logger,
      metrics,
      sessionCacheTtlMs: config.sessionCacheTtlMs,
      keyPrefix: config.redisKeyPrefix,
    });
  // Without TOKEN_ENCRYPTION_KEY the key derives from SESSION_SECRET, under its own HKDF label.
  const cipher =
    config.tokenEncryptionKeys.length > 0
      ? createTokenCipher(config.tokenEncryptionKeys)
      : createTokenCipher(
          config.sessionSecrets,
          'bff-gateway token encryption v1 (from SESSION_SECRET)',
        );
  const keys = createStoreKeys(config.redisKeyPrefix);
  const sealer = createCookieSealer(config.sessionSecrets);
  const forwarders = new Map<ProviderId, Forwarder>();
  for (const provider of config.providers.values()) {
    forwarders.set(
      provider.id,
      createForwarder({
        apiUrl: provider.apiUrl,
        upstreamTimeoutMs: config.upstreamTimeoutMs,
        logger,
        observeUpstream: (status, seconds) => metrics.observeUpstream(provider.id, status, seconds),
        // Contract §6: links back into the upstream point at its mount (`/graph`, as the proxy routes
        // mount it). Only Graph speaks OData; ServiceNow's links are `Link` headers, rewritten for both.
        links: {
          publicOrigin: config.publicOrigin,
          mountPrefix: `/${provider.id}`,
          rewriteODataLinks: provider.odataLinks,
        },
      }),
    );
  }
  const appForwarder = createAppForwarderFor(config, logger);
  const sessions = createSessionRepository({
    store,
    cipher,
    keys,
    idleTimeoutSeconds: config.sessionIdleTimeoutSeconds,
    absoluteTimeoutSeconds: config.sessionAbsoluteTimeoutSeconds,
    logger,
    now,
  });
  const authorizationServers = createAuthorizationServers(config, logger);
  const dependencies: GatewayDependencies = {
    config,
    logger,
    store,
    now,
    forwarders,
    appForwarder,
    // A request waits for a slot no longer than it would wait for the upstream's headers.
    inFlight: createInFlightLimit({ maximumWaitMs: config.upstreamTimeoutMs }),
    sessions,
    authorizationServers,
    refresher: createTokenRefresher({
      config,
      authorizationServers,
      sessions,
      store,
      keys,
      logger,
      now,
      metrics,
    }),
    loginStateClaims: createLoginStateClaims({ store, keys }),
    logoutTokens: createLogoutTokenVerifier(config, authorizationServers, now),
    logoutTokenClaims: createLogoutTokenClaims({
      store,
      keys,
      ttlMs: (logoutTokenMaxAgeSeconds + logoutTokenClockToleranceSeconds) * 1000,
    }),
    sessionCookie: createSessionCookie({
      sealer,
      secure: config.secureCookies,
      absoluteTimeoutSeconds: config.sessionAbsoluteTimeoutSeconds,
      now,
    }),
    loginCookie: createLoginCookie({ sealer, secure: config.secureCookies, now }),
    handoffCookie: createHandoffCookie({ sealer, secure: config.secureCookies, now }),
    handoffCodes: createHandoffCodes({ store, cipher, keys, logger, now }),
    metrics,
  };
  return {
    app: createApp(dependencies),
    dependencies,
    async close() {
      for (const forwarder of forwarders.values()) forwarder.close();
      appForwarder?.close();
      await store.close();
    },
  };
}
