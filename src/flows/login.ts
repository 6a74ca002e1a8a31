// Starts a login: validates the browser's query, then builds the authorization request (PKCE S256, state, nonce).
import * as oauth from 'oauth4webapi';
import { GatewayError } from '../errors/gateway-error.ts';
import type { LoginMode, PendingLogin } from '../session/pending-logins.ts';
import type { ResolvedProvider } from './authorization-servers.ts';
import { validateReturnTo } from './return-to.ts';

export interface LoginRequest {
  readonly returnTo: string;
  readonly mode: LoginMode;
  readonly prompt: string | null;
  readonly loginHint: string | null;
  readonly domainHint: string | null;
}

const loginModes: readonly string[] = ['redirect', 'popup'];
// OpenID Connect Core §3.1.2.1: prompt is a space-separated list of these values.
const promptValues = new Set(['none', 'login', 'consent', 'select_account']);
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const hintPattern = /^[^\u0000-\u001f\u007f-\u009f]{1,256}$/;

/** Parses the login query of contract §3; every refusal is a 400 naming the parameter. */
export function parseLoginRequest(
  query: (name: string) => string | undefined,
  publicOrigin: string,
): LoginRequest {
  const invalid = (message: string): never => {
    throw new GatewayError(400, 'invalid_request', message);
  };
  const mode = query('mode') ?? 'redirect';
  if (!loginModes.includes(mode)) invalid('mode must be "redirect" or "popup"');
  const prompt = query('prompt') ?? null;
  if (prompt !== null && !prompt.split(' ').every((value) => promptValues.has(value))) {
    invalid('prompt must be a space-separated list of none, login, consent, select_account');
  }
  const hint = (name: string): string | null => {
    const value = query(name);
    if (value === undefined) return null;
    if (!hintPattern.test(value))
      invalid(`${name} must be 1 to 256 characters without control characters`);
    return value;
  };
  return {
    returnTo: validateReturnTo(query('return_to'), publicOrigin),
    mode: mode as LoginMode,
    prompt,
    loginHint: hint('login_hint'),
    domainHint: hint('domain_hint'),
  };
}

/**
 * Builds the authorization request (RFC 6749 §4.1.1) with PKCE S256 (RFC 7636, required by
 * RFC 9700 §2.1.1 even for confidential clients), a fresh `state` (CSRF on the callback) and, for
 * OpenID providers, a `nonce` (replay of an ID token). The returned pending login is what the
 * callback needs; the caller seals it into this browser's pending-login cookie (nothing is stored).
 */
export async function startLogin(
  provider: ResolvedProvider,
  request: LoginRequest,
  joinSessionId: string | null,
): Promise<{ authorizationUrl: URL; state: string; pending: PendingLogin }> {
  const endpoint = provider.authorizationServer.authorization_endpoint;
  if (endpoint === undefined) {
    throw new GatewayError(
      502,
      'provider_misconfigured',
      `the ${provider.config.id} authorization server has no authorization endpoint`,
    );
  }
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = provider.config.openId ? oauth.generateRandomNonce() : null;
  const url = new URL(endpoint);
  const parameters = url.searchParams;
  parameters.set('client_id', provider.config.clientId);
  parameters.set('response_type', 'code');
  parameters.set('redirect_uri', provider.redirectUri);
  parameters.set('scope', provider.config.scopes.join(' '));
  parameters.set('state', state);
  parameters.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  parameters.set('code_challenge_method', 'S256');
  if (nonce !== null) parameters.set('nonce', nonce);
  if (request.prompt !== null) parameters.set('prompt', request.prompt);
  if (request.loginHint !== null) parameters.set('login_hint', request.loginHint);
  if (request.domainHint !== null) parameters.set('domain_hint', request.domainHint);
  return {
    authorizationUrl: url,
    state,
    pending: {
      provider: provider.config.id,
      codeVerifier,
      nonce,
      returnTo: request.returnTo,
      mode: request.mode,
      joinSessionId,
    },
  };
}
