// GET /auth/session and POST /auth/logout: who is signed in, and signing out everywhere.
import { callAuthEndpoint } from './auth-call.ts';
import { UnexpectedResponseError } from './errors.ts';
import type { GatewayContext } from './provider-fetch.ts';
import type { LogoutOptions, LogoutResult, SessionInfo } from './types.ts';

export async function readSession(context: GatewayContext): Promise<SessionInfo> {
  const body = await callAuthEndpoint(context, { method: 'GET', path: '/auth/session' });
  const providers = body.providers;
  if (
    typeof body.authenticated !== 'boolean' ||
    typeof providers !== 'object' ||
    providers === null
  ) {
    throw new UnexpectedResponseError('GET /auth/session', 200, null);
  }
  return body as unknown as SessionInfo;
}

/**
 * Ends the session at the gateway (tokens deleted and revoked), then, when `redirect` is not false
 * and the OpenID provider has an end-session endpoint, navigates there so the provider's own
 * sign-in session ends too (it sends the browser back to PUBLIC_URL).
 */
export async function logOut(
  context: GatewayContext,
  options: LogoutOptions = {},
): Promise<LogoutResult> {
  const body = await callAuthEndpoint(context, { method: 'POST', path: '/auth/logout' });
  const endSessionUrl = readEndSessionUrl(body.end_session_url);
  if (endSessionUrl !== null && options.redirect !== false) window.location.assign(endSessionUrl);
  return { endSessionUrl };
}

/** Threat: a `javascript:` or other non-web URL would run or open something else; only http(s) is followed. */
function readEndSessionUrl(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new UnexpectedResponseError('POST /auth/logout', 200, null);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UnexpectedResponseError('POST /auth/logout', 200, null);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UnexpectedResponseError('POST /auth/logout', 200, null);
  }
  return value;
}
