// What the gateway records about itself, as a small typed interface: flows, proxy and store record through it and never import prom-client.
import type { ProviderId } from '../config/types.ts';
import type { ReauthReason } from '../errors/gateway-error.ts';

/**
 * Label values come only from these fixed sets, never from a request (path, user, session, query):
 * the number of series stays bounded whatever the traffic, and a scrape can never leak one.
 */
export type RouteGroup = 'auth' | 'graph' | 'servicenow' | 'health' | 'app';
export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx';
/**
 * What became of a refresh a request needed: the authorization server's verdict on the grant this
 * process sent (`success`, or the RefreshFailure kind), or `joined` when another request's refresh
 * (in this process or another sharing the store) served it instead.
 */
export type RefreshOutcome = 'success' | 'rejected' | 'unavailable' | 'misconfigured' | 'joined';

/** What the gateway records; each call is a label lookup and an increment, no I/O. */
export interface GatewayMetrics {
  /** A request answered by the main listener, timed to the end of its response. */
  observeRequest(routeGroup: RouteGroup, status: number, seconds: number): void;
  /** An upstream exchange, timed to its response headers; `status` null: no answer (unreachable, timeout). */
  observeUpstream(provider: ProviderId, status: number | null, seconds: number): void;
  countRefresh(provider: ProviderId, outcome: RefreshOutcome): void;
  countReauth(provider: ProviderId, reason: ReauthReason): void;
  /** A store command that failed (the store then raises `store_unavailable`). */
  countStoreError(): void;
}

/** For parts built without metrics (unit tests): records nothing. */
export const noMetrics: GatewayMetrics = Object.freeze({
  observeRequest: () => undefined,
  observeUpstream: () => undefined,
  countRefresh: () => undefined,
  countReauth: () => undefined,
  countStoreError: () => undefined,
});

/** Indexed by the status' hundreds digit. */
const statusClasses: readonly (StatusClass | undefined)[] = [
  undefined,
  undefined,
  '2xx',
  '3xx',
  '4xx',
  '5xx',
];

/** 204 → `2xx`. A final status outside 200–599 is never sent; it would count as `5xx`, a fault. */
export function statusClassOf(status: number): StatusClass {
  return statusClasses[Math.floor(status / 100)] ?? '5xx';
}
