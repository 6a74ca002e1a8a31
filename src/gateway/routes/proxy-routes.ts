// {METHOD} /{provider}/*: CSRF check, route allow-list, session, then the forwarder injects the bearer.
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { ProviderConfig } from '../../config/types.ts';
import { isRouteAllowed } from '../../config/route-allow-list.ts';
import { GatewayError, reauthRequired, type ReauthReason } from '../../errors/gateway-error.ts';
import { audit } from '../../observability/audit.ts';
import type { Forwarder } from '../../proxy/forwarder.ts';
import { resolveUpstreamPath } from '../../proxy/upstream-path.ts';
import type { GatewayDependencies, GatewayEnv } from '../gateway-env.ts';

export function registerProxyRoutes(app: Hono<GatewayEnv>, deps: GatewayDependencies): void {
  for (const provider of deps.config.providers.values()) {
    const forwarder = deps.forwarders.get(provider.id);
    if (forwarder === undefined) throw new Error(`no forwarder for provider ${provider.id}`);
    const handler = createProxyHandler(deps, provider, forwarder);
    app.all(`/${provider.id}`, handler);
    app.all(`/${provider.id}/*`, handler);
  }
}

function createProxyHandler(
  deps: GatewayDependencies,
  provider: ProviderConfig,
  forwarder: Forwarder,
) {
  const mountPrefix = `/${provider.id}`;
  return async function proxyRequest(c: Context<GatewayEnv>): Promise<Response> {
    // 1. CSRF: a custom header cannot be sent cross-site without a CORS preflight, which this
    //    gateway never grants (contract §4; OWASP CSRF cheat sheet, "custom request headers").
    if (c.req.header('x-csrf') !== '1') {
      audit(deps.logger, 'csrf_rejected', {
        provider: provider.id,
        outcome: 'failure',
        reason: 'missing_x_csrf',
      });
      throw new GatewayError(403, 'csrf', 'the X-CSRF: 1 request header is required');
    }
    const incoming = c.env.incoming;
    // 2. The raw request target, not a URL-parser-normalised one, so traversal tricks are seen as sent.
    const { upstreamPath, routePath } = resolveUpstreamPath(incoming.url ?? '', mountPrefix);
    // 3. Least privilege: the allow-list is checked before any token is read.
    if (!isRouteAllowed(provider.routes, c.req.method, routePath)) {
      throw new GatewayError(
        403,
        'route_not_allowed',
        `${c.req.method} ${routePath} is not an allowed ${provider.id} route`,
      );
    }
    // 4. Session: one cookie unseal (cached) and one store round trip.
    const reauth = (reason: ReauthReason, detail: string, sessionId?: string): GatewayError => {
      audit(deps.logger, 'reauth', {
        provider: provider.id,
        sessionId,
        outcome: 'failure',
        reason,
      });
      return reauthRequired(provider.id, reason, detail);
    };
    const sessionId = await deps.sessionCookie.open(getCookie(c, deps.sessionCookie.name));
    if (sessionId === null) throw reauth('no_session', 'no valid session cookie was sent');
    const view = await deps.sessions.loadForProxy(sessionId, provider.id);
    if (view === null)
      throw reauth('session_expired', 'the session has expired or ended', sessionId);
    if (view.tokens === null) {
      throw reauth('not_connected', `the session is not connected to ${provider.id}`, sessionId);
    }
    // 5. Forward; a failure before any byte was sent comes back as a GatewayError for onError.
    const release = deps.inFlight.acquire(sessionId);
    try {
      await forwarder.forward(incoming, c.env.outgoing, {
        upstreamPath,
        accessToken: view.tokens.accessToken,
      });
    } finally {
      release();
    }
    return RESPONSE_ALREADY_SENT;
  };
}
