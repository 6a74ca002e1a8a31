// The session cookie of one request: the session this browser holds now, and the cookie of a new session id.
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { SessionSnapshot } from '../session/session-types.ts';
import { writeCookie } from './cookies.ts';
import type { GatewayDependencies, GatewayEnv } from './gateway-env.ts';

/** The session id this browser's cookie names, if the cookie unseals (the store is not asked). */
export function sessionIdOfCookie(
  c: Context<GatewayEnv>,
  deps: GatewayDependencies,
): Promise<string | null> {
  return deps.sessionCookie.open(getCookie(c, deps.sessionCookie.name));
}

/** The browser's live session, read from the store: what a new login joins. Null without one. */
export async function currentSession(
  c: Context<GatewayEnv>,
  deps: GatewayDependencies,
): Promise<SessionSnapshot | null> {
  const sessionId = await sessionIdOfCookie(c, deps);
  return sessionId === null ? null : deps.sessions.loadSnapshot(sessionId);
}

/** Sets the cookie of a session id `commitLogin` just issued (a new one at every login). */
export async function setSessionCookie(
  c: Context<GatewayEnv>,
  deps: GatewayDependencies,
  sessionId: string,
): Promise<void> {
  writeCookie(
    c,
    deps.sessionCookie.name,
    await deps.sessionCookie.seal(sessionId),
    deps.sessionCookie.attributes(),
  );
}
