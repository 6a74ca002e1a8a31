// {METHOD} /{provider}/*: CSRF check, route allow-list, session, then the forwarder injects the bearer.
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { ProviderConfig } from '../../config/types.ts';
import { isRouteAllowed } from '../../config/route-allow-list.ts';
import { GatewayError, reauthRequired } from '../../errors/gateway-error.ts';
import { claimsChallengeLoginUrl, readClaimsChallenge } from '../../flows/claims-challenge.ts';
import { missingTokensError } from '../../flows/refresh-report.ts';
import { audit } from '../../observability/audit.ts';
import type { Forwarder } from '../../proxy/forwarder.ts';
import { readReplayableBody } from '../../proxy/replayable-body.ts';
import { resolveUpstreamPath } from '../../proxy/upstream-path.ts';
import type { ProviderTokens } from '../../session/session-types.ts';
import { requireAntiForgeryHeader } from '../csrf.ts';
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
    // 1. CSRF: before anything else, so a forged request learns nothing about the session.
    requireAntiForgeryHeader(c, deps.logger, provider.id);
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
    const sessionId = await deps.sessionCookie.open(getCookie(c, deps.sessionCookie.name));
    if (sessionId === null) {
      throw auditedReauth(
        deps,
        undefined,
        reauthRequired(provider.id, 'no_session', 'no valid session cookie was sent'),
      );
    }
    const view = await deps.sessions.loadForProxy(sessionId, provider.id);
    if (view === null) {
      throw auditedReauth(
        deps,
        sessionId,
        reauthRequired(provider.id, 'session_expired', 'the session has expired or ended'),
      );
    }
    if (view.tokens === null)
      throw auditedReauth(deps, sessionId, missingTokensError(provider.id, view.refreshFailure));
    const tokens = view.tokens;
    // 5. Refresh when due, forward; an upstream 401 gets one refresh and one replay (contract §4).
    const release = await deps.inFlight.acquire(sessionId);
    try {
      await forwardWithReplay(deps, provider, forwarder, c, {
        sessionId,
        upstreamPath,
        tokens: await deps.refresher.usableTokens({ ...view, tokens }, provider.id),
      });
    } catch (error) {
      throw auditedReauth(deps, sessionId, error);
    } finally {
      release();
    }
    return RESPONSE_ALREADY_SENT;
  };
}

/**
 * Sends the request with a bearer the gateway believes valid. When the upstream still answers 401
 * (revoked, clock skew), the tokens are refreshed once and the request replayed once if its body
 * was kept (none, or ≤ 1 MiB); a streamed body cannot be sent twice, so the app is asked to resend
 * it (503 `retry`, `Retry-After: 0`). A second 401 ends in reauth `upstream_rejected`: never a loop.
 */
async function forwardWithReplay(
  deps: GatewayDependencies,
  provider: ProviderConfig,
  forwarder: Forwarder,
  c: Context<GatewayEnv>,
  request: { sessionId: string; upstreamPath: string; tokens: ProviderTokens },
): Promise<void> {
  const { incoming, outgoing } = c.env;
  const body = await readReplayableBody(incoming, { idleTimeoutMs: deps.config.upstreamTimeoutMs });
  const first = await forwarder.forward(incoming, outgoing, {
    upstreamPath: request.upstreamPath,
    accessToken: request.tokens.accessToken,
    ...(body === null ? {} : { body }),
    interceptUnauthorized: true,
  });
  if (first.kind === 'relayed') return;
  // A claims challenge is satisfied only by an interactive sign-in: a refresh would be refused the
  // same way, and the same token must never be sent again (continuous access evaluation).
  refuseClaimsChallenge(provider, first.challenge);
  const replacement = await deps.refresher.replaceRejected(
    request.sessionId,
    provider.id,
    request.tokens,
  );
  if (body === null) {
    throw new GatewayError(
      503,
      'retry',
      `the ${provider.id} token was renewed; send the request again`,
      { retryAfterSeconds: 0 },
    );
  }
  const second = await forwarder.forward(incoming, outgoing, {
    upstreamPath: request.upstreamPath,
    accessToken: replacement.accessToken,
    body,
    interceptUnauthorized: true,
  });
  if (second.kind === 'unauthorized') {
    refuseClaimsChallenge(provider, second.challenge);
    throw reauthRequired(
      provider.id,
      'upstream_rejected',
      `${provider.id} refused a freshly renewed token`,
    );
  }
}

/** An upstream 401 carrying `error="insufficient_claims"` → reauth `claims_challenge` (contract §6). */
function refuseClaimsChallenge(provider: ProviderConfig, wwwAuthenticate: string | null): void {
  const challenge = readClaimsChallenge(wwwAuthenticate);
  if (challenge === null) return;
  throw reauthRequired(
    provider.id,
    'claims_challenge',
    `${provider.id} requires a new sign-in that satisfies its claims challenge`,
    { loginUrl: claimsChallengeLoginUrl(provider.id, challenge) },
  );
}

/** Every reauth answer is an audit line (contract §5), whichever step decided it. */
function auditedReauth(
  deps: GatewayDependencies,
  sessionId: string | undefined,
  error: unknown,
): unknown {
  if (error instanceof GatewayError && error.code === 'reauth_required') {
    audit(deps.logger, 'reauth', {
      provider: error.members.provider,
      sessionId,
      outcome: 'failure',
      reason: error.members.reason,
      ...(error.members.provider_error === undefined
        ? {}
        : { provider_error: error.members.provider_error }),
    });
  }
  return error;
}
