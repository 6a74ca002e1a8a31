// The Entra-like end-session endpoint: records each logout request and redirects straight back, without a form.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-messages.ts';

export interface LogoutRequestRecord {
  postLogoutRedirectUri: string | undefined;
  state: string | undefined;
  clientId: string | undefined;
  logoutHint: string | undefined;
  idTokenHintPresent: boolean;
}

export function describeLogoutRequest(parameters: URLSearchParams): LogoutRequestRecord {
  return {
    postLogoutRedirectUri: parameters.get('post_logout_redirect_uri') ?? undefined,
    state: parameters.get('state') ?? undefined,
    clientId: parameters.get('client_id') ?? undefined,
    logoutHint: parameters.get('logout_hint') ?? undefined,
    idTokenHintPresent: parameters.has('id_token_hint'),
  };
}

/**
 * oidc-provider's end_session always asks for confirmation (an HTML form, or a self-posting form
 * without a session); Entra redirects straight back, which a browser without scripts can follow.
 */
export function endSession(
  request: IncomingMessage,
  response: ServerResponse,
  logoutRequest: LogoutRequestRecord,
  postLogoutRedirectUris: string[],
): void {
  if (request.method !== 'GET') return sendJson(response, 405, { error: 'invalid_request' });
  const { postLogoutRedirectUri, state } = logoutRequest;
  // Threat: open redirect through the IdP; only registered URIs are followed.
  if (
    postLogoutRedirectUri !== undefined &&
    !postLogoutRedirectUris.includes(postLogoutRedirectUri)
  )
    return sendJson(response, 400, {
      error: 'invalid_request',
      error_description: 'post_logout_redirect_uri is not registered',
    });
  // Forgetting the provider's session cookie (and its signature) signs the browser out.
  const expired = 'Path=/; Max-Age=0; HttpOnly; SameSite=Lax';
  response.setHeader('set-cookie', [`_session=; ${expired}`, `_session.sig=; ${expired}`]);
  if (postLogoutRedirectUri === undefined) return sendJson(response, 200, { signedOut: true });
  const location = new URL(postLogoutRedirectUri);
  if (state !== undefined) location.searchParams.set('state', state);
  response.writeHead(302, { location: location.href }).end();
}
