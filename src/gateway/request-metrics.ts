// Times every request to the end of its response and counts reauth answers, with label values from fixed sets only.
import { ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { providerIds, type ProviderId } from '../config/types.ts';
import { GatewayError, reauthReasons, type ReauthReason } from '../errors/gateway-error.ts';
import type { GatewayMetrics, RouteGroup } from '../observability/gateway-metrics.ts';
import type { GatewayEnv } from './gateway-env.ts';

/**
 * Registered first, so its timer covers every other middleware. A proxied answer is written to the
 * raw response and its handler returns RESPONSE_ALREADY_SENT (a 200, whatever was sent), so the
 * request is observed when Node's response closes (after `finish`, or when the browser went away),
 * with the status Node wrote and the time its body took. An answer whose headers were never sent
 * (the browser left first) is not counted: it has no status.
 */
export function requestMetrics(metrics: GatewayMetrics): MiddlewareHandler<GatewayEnv> {
  return async function observeRequest(c, next) {
    const startedAt = performance.now();
    const routeGroup = routeGroupOf(c.req.path);
    // `app.request()` in tests runs without Node's response (or with a stand-in): observe the Response.
    const outgoing = (c.env as Partial<GatewayEnv['Bindings']> | undefined)?.outgoing;
    if (outgoing instanceof ServerResponse) {
      outgoing.once('close', () => {
        if (!outgoing.headersSent) return;
        metrics.observeRequest(
          routeGroup,
          outgoing.statusCode,
          (performance.now() - startedAt) / 1000,
        );
      });
      await next();
      return;
    }
    await next();
    metrics.observeRequest(routeGroup, c.res.status, (performance.now() - startedAt) / 1000);
  };
}

/** Contract §2's path families; everything else (the SPA, unknown paths, `/metrics`) is `app`. */
export function routeGroupOf(path: string): RouteGroup {
  if (isUnder(path, '/auth')) return 'auth';
  if (isUnder(path, '/graph')) return 'graph';
  if (isUnder(path, '/servicenow')) return 'servicenow';
  if (path === '/healthz' || path === '/readyz') return 'health';
  return 'app';
}

function isUnder(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === '/');
}

const knownReauthReasons: ReadonlySet<string> = new Set<string>(reauthReasons);
const knownProviders: ReadonlySet<string> = new Set<ProviderId>(providerIds);

/**
 * Called from `app.onError`, the one place every reauth answer passes. The members are checked
 * against the known sets so a label can never carry anything else.
 */
export function countReauthAnswer(metrics: GatewayMetrics, error: unknown): void {
  if (!(error instanceof GatewayError) || error.code !== 'reauth_required') return;
  const { provider, reason } = error.members;
  if (
    provider !== undefined &&
    reason !== undefined &&
    knownProviders.has(provider) &&
    knownReauthReasons.has(reason)
  ) {
    metrics.countReauth(provider as ProviderId, reason as ReauthReason);
  }
}
