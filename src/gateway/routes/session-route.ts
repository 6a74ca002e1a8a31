// GET /auth/session: who is signed in and which providers are connected; never a token.
import type { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ProviderTokens, SessionSnapshot } from '../../session/session-types.ts';
import type { GatewayDependencies, GatewayEnv } from '../gateway-env.ts';

type ProviderStatus =
  | { connected: true; expires_at: string; scopes: readonly string[] }
  | { connected: false; login_url: string };

export function registerSessionRoute(app: Hono<GatewayEnv>, deps: GatewayDependencies): void {
  app.get('/auth/session', async function sessionStatus(c) {
    const sessionId = await deps.sessionCookie.open(getCookie(c, deps.sessionCookie.name));
    const snapshot = sessionId === null ? null : await deps.sessions.loadSnapshot(sessionId);
    return c.json(describeSession(deps, snapshot));
  });
}

/** Contract §3: only enabled providers are listed; `user` is null until an OpenID provider is connected. */
function describeSession(deps: GatewayDependencies, snapshot: SessionSnapshot | null) {
  const providers: Record<string, ProviderStatus> = {};
  for (const id of deps.config.providers.keys()) {
    const tokens = snapshot?.providers.get(id);
    providers[id] =
      tokens === undefined
        ? { connected: false, login_url: `/auth/login/${id}` }
        : connected(tokens);
  }
  const user = snapshot?.user ?? null;
  return {
    authenticated: snapshot !== null,
    user: user === null ? null : { sub: user.sub, name: user.name, email: user.email },
    providers,
  };
}

function connected(tokens: ProviderTokens): ProviderStatus {
  return {
    connected: true,
    expires_at: new Date(tokens.expiresAtMs).toISOString(),
    scopes: tokens.scopes,
  };
}
