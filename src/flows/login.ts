// Starts a login: validates the browser's query, then builds the authorization request (PKCE S256, state, nonce).
import * as oauth from 'oauth4webapi';
import { GatewayError } from '../errors/gateway-error.ts';
import { isPlausibleHandoffId } from '../session/handoff-cookie.ts';
import { loginModes, type LoginMode, type PendingLogin } from '../session/pending-logins.ts';
import type { ResolvedProvider } from './authorization-servers.ts';
import {
  claimsParameter,
  decodeClaimsChallenge,
  maximumEncodedClaimsLength,
  type ClaimsRequest,
} from './claims-request.ts';
import { validateReturnTo } from './return-to.ts';

export interface LoginRequest {
  readonly returnTo: string;
  readonly mode: LoginMode;
  readonly prompt: string | null;
  readonly loginHint: string | null;
  readonly domainHint: string | null;
  /** Handoff mode (contract §6): the app context's handoff id; null in the other modes. */
  readonly handoffId: string | null;
  /** A claims challenge to satisfy (`claims`, base64 JSON from a reauth payload's login_url), decoded. */
  readonly claims: ClaimsRequest | null;
}

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
  if (!(loginModes as readonly string[]).includes(mode))
    invalid('mode must be "redirect", "popup" or "handoff"');
  const prompt = query('prompt') ?? null;
  if (prompt !== null && !prompt.split(' ').every((value) => promptValues.has(value))) {
    invalid('prompt must be a space-separated list of none, login, consent, select_account');
  }
  // Threat: script on the app's origin (XSS) runs a handoff login silently in a window it opened
  // for an attacker's handoff id, reads the code from its fragment and hands the victim's session
  // to the attacker's browser. A handoff sign-in therefore always asks the user (see startLogin).
  if (mode === 'handoff' && prompt?.split(' ').includes('none') === true)
    invalid('prompt=none is not allowed with mode=handoff: a handoff sign-in asks the user');
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
    handoffId: parseHandoffId(mode, query('handoff_id')),
    claims: claimsChallenge(query('claims'), invalid),
  };
}

/** The `claims` parameter of contract §6: base64 of a JSON claims request, bounded, or a 400. */
function claimsChallenge(
  value: string | undefined,
  invalid: (message: string) => never,
): ClaimsRequest | null {
  if (value === undefined) return null;
  return (
    decodeClaimsChallenge(value) ??
    invalid(
      `claims must be base64 of a JSON claims request of at most ${maximumEncodedClaimsLength} characters`,
    )
  );
}

/**
 * Handoff mode needs the id of the handoff the app context started (its code is bound to it); the
 * id is meaningless in any other mode, so it is refused there rather than silently ignored.
 */
function parseHandoffId(mode: string, handoffId: string | undefined): string | null {
  if (mode !== 'handoff') {
    if (handoffId === undefined) return null;
    throw new GatewayError(400, 'invalid_request', 'handoff_id is only allowed with mode=handoff');
  }
  if (!isPlausibleHandoffId(handoffId))
    throw new GatewayError(
      400,
      'invalid_request',
      'handoff_id must be the id POST /auth/handoff answered (43 base64url characters)',
    );
  return handoffId;
}

/**
 * A handoff sign-in is never silent: an OpenID provider shows its account picker
 * (OpenID Connect Core §3.1.2.1 `select_account`) even when the user has a session there.
 */
function handoffPrompt(provider: ResolvedProvider): string | null {
  return provider.config.openId ? 'select_account' : null;
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
  const prompt = request.prompt ?? (request.mode === 'handoff' ? handoffPrompt(provider) : null);
  if (prompt !== null) parameters.set('prompt', prompt);
  if (request.loginHint !== null) parameters.set('login_hint', request.loginHint);
  if (request.domainHint !== null) parameters.set('domain_hint', request.domainHint);
  // OpenID Connect Core §5.5: the declared capabilities and the challenge's claims, as JSON.
  const claims = claimsParameter(provider.config.clientCapabilities, request.claims);
  if (claims !== null) parameters.set('claims', claims);
  return {
    authorizationUrl: url,
    state,
    pending: {
      provider: provider.config.id,
      codeVerifier,
      nonce,
      returnTo: request.returnTo,
      mode: request.mode,
      // A handoff login never joins the sign-in window's session: its result goes to the app context.
      joinSessionId: request.mode === 'handoff' ? null : joinSessionId,
      handoffId: request.handoffId,
    },
  };
}
