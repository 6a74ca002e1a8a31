// POST /auth/logout and POST /auth/logout/{provider}: end the session or disconnect one provider (contract §3).
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { disconnectProvider, logOut } from '../../flows/logout.ts';
import { expireCookie } from '../cookies.ts';
import { requireAntiForgeryHeader } from '../csrf.ts';
import { enabledProvider } from '../enabled-provider.ts';
import type { GatewayDependencies, GatewayEnv } from '../gateway-env.ts';

export function registerLogoutRoutes(app: Hono<GatewayEnv>, deps: GatewayDependencies): void {
  app.post('/auth/logout', async function logout(c) {
    requireAntiForgeryHeader(c, deps.logger);
    const sessionId = await currentSessionId(c, deps);
    // Expired whatever happens next: a browser that asked to log out never keeps the cookie.
    expireCookie(c, deps.sessionCookie.name, deps.sessionCookie.attributes());
    const { endSessionUrl } = await logOut(deps, sessionId);
    return c.json({ end_session_url: endSessionUrl });
  });

  app.post('/auth/logout/:provider', async function logoutProvider(c) {
    requireAntiForgeryHeader(c, deps.logger);
    const provider = enabledProvider(deps, c.req.param('provider'));
    await disconnectProvider(deps, await currentSessionId(c, deps), provider);
    return c.json({});
  });
}

/** The session id in the cookie; null without one or when it does not unseal (logout is then a no-op). */
function currentSessionId(
  c: Context<GatewayEnv>,
  deps: GatewayDependencies,
): Promise<string | null> {
  return deps.sessionCookie.open(getCookie(c, deps.sessionCookie.name));
}
