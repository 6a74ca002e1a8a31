// Builds the OpenID provider's end-session URL returned by logout (RP-Initiated Logout 1.0 §2), carrying no token.
import type { ProviderId } from '../config/types.ts';
import type { EndedSession } from '../session/session-types.ts';
import type { ResolvedProvider } from './authorization-servers.ts';

/**
 * The OpenID provider that signed the user in: one whose tokens the session held, or, when a
 * rejected refresh had already removed them, the first OpenID provider (only one names the user).
 * Null when no OpenID provider was part of the session: there is nobody to sign out of.
 */
export function openIdProviderOf(
  session: EndedSession,
  openIdProviders: readonly ProviderId[],
): ProviderId | null {
  const connected = openIdProviders.find((id) => session.providers.has(id));
  if (connected !== undefined) return connected;
  return session.user !== null ? (openIdProviders[0] ?? null) : null;
}

/**
 * `end_session_endpoint` with `client_id` and `post_logout_redirect_uri` = `${PUBLIC_URL}/` (which must
 * be registered), plus `logout_hint` when the ID token carried Entra's `login_hint` claim, so Entra
 * signs out that account without asking which. Never `id_token_hint`: no token leaves the gateway
 * (contract §3). Null when the provider publishes no usable end-session endpoint.
 */
export function endSessionUrl(
  provider: ResolvedProvider,
  session: EndedSession,
  options: { publicOrigin: string; allowInsecureHttp: boolean },
): string | null {
  const endpoint = provider.authorizationServer.end_session_endpoint;
  if (endpoint === undefined || !URL.canParse(endpoint)) return null;
  const url = new URL(endpoint);
  // The SPA navigates to it: a `javascript:` or plain-http endpoint in the discovery document is refused.
  if (url.protocol !== 'https:' && !(options.allowInsecureHttp && url.protocol === 'http:'))
    return null;
  const { publicOrigin } = options;
  url.searchParams.set('client_id', provider.client.client_id);
  url.searchParams.set('post_logout_redirect_uri', `${publicOrigin}/`);
  if (session.user?.loginHint != null) url.searchParams.set('logout_hint', session.user.loginHint);
  return url.href;
}
