// The one Hono environment type of the gateway, and the dependencies its routes receive.
import type { HttpBindings } from '@hono/node-server';
import type { GatewayConfig, ProviderId } from '../config/types.ts';
import type { AuthorizationServers } from '../flows/authorization-servers.ts';
import type { LogoutTokenVerifier } from '../flows/logout-token.ts';
import type { TokenRefresher } from '../flows/token-refresher.ts';
import type { Logger } from '../observability/logger.ts';
import type { PrometheusMetrics } from '../observability/metrics.ts';
import type { AppForwarder } from '../proxy/app-forwarder.ts';
import type { Forwarder } from '../proxy/forwarder.ts';
import type { HandoffCodes } from '../session/handoff-codes.ts';
import type { HandoffCookie } from '../session/handoff-cookie.ts';
import type { LoginCookie } from '../session/login-cookie.ts';
import type { LogoutTokenClaims } from '../session/logout-token-claims.ts';
import type { LoginStateClaims } from '../session/pending-logins.ts';
import type { SessionCookie } from '../session/session-cookie.ts';
import type { SessionRepository } from '../session/session-repository.ts';
import type { Store } from '../session/store.ts';
import type { InFlightLimit } from './in-flight-limit.ts';

/** `c.env.incoming` / `c.env.outgoing` are Node's raw request and response (@hono/node-server). */
export interface GatewayEnv {
  Bindings: HttpBindings;
}

/** Everything the routes use, built once at start-up (no service locator in the request context). */
export interface GatewayDependencies {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly store: Store;
  readonly sessions: SessionRepository;
  readonly loginStateClaims: LoginStateClaims;
  readonly sessionCookie: SessionCookie;
  readonly loginCookie: LoginCookie;
  /** Handoff sign-in (contract §6): the app context's sealed handoff, and the one-time codes. */
  readonly handoffCookie: HandoffCookie;
  readonly handoffCodes: HandoffCodes;
  readonly authorizationServers: AuthorizationServers;
  /** Back-channel logout: verifies logout tokens, and remembers their `jti` so each works once. */
  readonly logoutTokens: LogoutTokenVerifier;
  readonly logoutTokenClaims: LogoutTokenClaims;
  /** Single-flight refresh across processes sharing the store. */
  readonly refresher: TokenRefresher;
  readonly forwarders: ReadonlyMap<ProviderId, Forwarder>;
  /** Sidecar mode (APP_UPSTREAM_URL): page requests relayed to the app's own server; null otherwise. */
  readonly appForwarder: AppForwarder | null;
  /** Proxied requests in flight per session in this process. */
  readonly inFlight: InFlightLimit;
  /** This gateway's own Prometheus registry, served on METRICS_PORT only. */
  readonly metrics: PrometheusMetrics;
  readonly now: () => number;
}
