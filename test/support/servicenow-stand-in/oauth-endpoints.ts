// ServiceNow's OAuth endpoints on the instance: /oauth_auth.do (auto-approved), /oauth_token.do (form only) and /oauth_revoke_token.do.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  describeAuthorizationRequest,
  readBody,
  sendScriptedAnswer,
  type ScriptedHttpAnswer,
} from '../http-helpers.ts';
import {
  sendHtmlError,
  sendJson,
  sendJsonText,
  serviceNowAccessDeniedBody,
  type AuthorizationRequestRecord,
  type RefreshScript,
  type RevocationRequestRecord,
  type TokenRequestRecord,
} from './answers.ts';
import type { IssuedCode, TokenLedger } from './ledger.ts';

/** ServiceNow's default (and, here, only) scope: it is what every token response names. */
const grantedScope = 'useraccount';

export interface OAuthEndpointsContext {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  readonly ledger: TokenLedger;
  readonly authorizationRequests: AuthorizationRequestRecord[];
  readonly tokenRequests: TokenRequestRecord[];
  readonly revocationRequests: RevocationRequestRecord[];
  /** Read at each refresh grant, so a test may change it between requests. */
  refreshScript(): RefreshScript;
}

/**
 * RFC 6749 §4.1.1 with RFC 7636: no login page, the user approves at once. As with the
 * registry's "PKCE required" flag, a request without an S256 challenge is refused.
 */
export function answerAuthorization(
  context: OAuthEndpointsContext,
  url: URL,
  response: ServerResponse,
): void {
  const query = url.searchParams;
  const redirectUri = query.get('redirect_uri');
  context.authorizationRequests.push({
    ...describeAuthorizationRequest(query),
    scope: query.get('scope'),
  });
  // Open redirect: an unknown client or an unregistered URI gets an error page, never a redirect (RFC 6749 §4.1.2.1).
  if (query.get('client_id') !== context.clientId)
    return sendHtmlError(response, 400, 'Invalid client_id');
  if (redirectUri === null || !context.redirectUris.includes(redirectUri))
    return sendHtmlError(response, 400, 'Invalid redirect_uri');
  if (query.get('response_type') !== 'code')
    return sendHtmlError(response, 400, 'Unsupported response_type');
  const codeChallenge = query.get('code_challenge');
  if (codeChallenge === null || query.get('code_challenge_method') !== 'S256')
    return sendHtmlError(response, 400, 'PKCE is required: code_challenge with method S256');

  const target = new URL(redirectUri);
  target.searchParams.set('code', context.ledger.issueCode({ redirectUri, codeChallenge }));
  const state = query.get('state');
  if (state !== null) target.searchParams.set('state', state);
  // Plain OAuth 2.0: no `iss` (RFC 9207), ServiceNow does not send one.
  response.writeHead(302, { location: target.href, 'cache-control': 'no-store' }).end();
}

interface ParsedTokenRequest {
  readonly isForm: boolean;
  readonly form: URLSearchParams;
  readonly record: TokenRequestRecord;
  /** The code, already spent: a second use of it finds nothing. */
  readonly code: IssuedCode | undefined;
}

/** Reads and records a token request; the record names what was sent, never a secret. */
async function parseTokenRequest(
  context: OAuthEndpointsContext,
  request: IncomingMessage,
): Promise<ParsedTokenRequest> {
  const contentType = request.headers['content-type'] ?? null;
  const text = await readBody(request);
  const isForm = mediaType(contentType) === 'application/x-www-form-urlencoded';
  const form = new URLSearchParams(isForm ? text : '');
  const grantType = form.get('grant_type');
  const codeVerifier = form.get('code_verifier');
  const code =
    grantType === 'authorization_code'
      ? context.ledger.redeemCode(form.get('code') ?? '')
      : undefined;
  const record: TokenRequestRecord = {
    grantType,
    contentType,
    clientAuthenticated: isClientAuthenticated(context, form),
    hadCodeVerifier: codeVerifier !== null,
    pkceMatched:
      grantType === 'authorization_code'
        ? codeVerifier !== null && code?.codeChallenge === s256(codeVerifier)
        : null,
    refreshTokenKnown:
      grantType === 'refresh_token'
        ? context.ledger.findRefreshToken(form.get('refresh_token') ?? '') !== undefined
        : null,
  };
  context.tokenRequests.push(record);
  return { isForm, form, record, code };
}

/** RFC 6749 §4.1.3 and §6, ServiceNow flavoured: form body only, credentials in the form, one 401 for every refusal. */
export async function answerToken(
  context: OAuthEndpointsContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { isForm, form, record, code } = await parseTokenRequest(context, request);
  if (!isForm)
    return sendJson(response, 400, {
      error: 'invalid_request',
      error_description: 'the token request must be application/x-www-form-urlencoded',
    });
  // An outage answers before any credential is looked at.
  const script = context.refreshScript();
  const isRefresh = record.grantType === 'refresh_token';
  if (isRefresh && script === 'hang') return;
  const heldUntil =
    isRefresh && typeof script === 'object' && 'heldUntil' in script ? script.heldUntil : null;
  if (isRefresh && typeof script === 'object' && heldUntil === null)
    return sendScriptedAnswer(response, script as ScriptedHttpAnswer);
  if (!record.clientAuthenticated) return sendJsonText(response, 401, serviceNowAccessDeniedBody);

  if (record.grantType === 'authorization_code') {
    // A code is bound to its redirect URI and PKCE challenge (RFC 6749 §4.1.3, RFC 7636 §4.6).
    if (code === undefined || form.get('redirect_uri') !== code.redirectUri || !record.pkceMatched)
      return sendJsonText(response, 401, serviceNowAccessDeniedBody);
    return sendTokens(context, response, context.ledger.issueRefreshToken().value, true);
  }
  if (isRefresh) {
    const refreshToken = context.ledger.findRefreshToken(form.get('refresh_token') ?? '');
    if (!context.ledger.isAlive(refreshToken))
      return sendJsonText(response, 401, serviceNowAccessDeniedBody);
    // ServiceNow does not rotate: the answer omits `refresh_token`, or repeats the same one.
    const repeat = script === 'tokens-repeating-refresh-token';
    return sendTokens(context, response, refreshToken.value, repeat, heldUntil);
  }
  sendJson(response, 400, {
    error: 'unsupported_grant_type',
    error_description: 'grant_type must be authorization_code or refresh_token',
  });
}

/** Issues the tokens at once; with `heldUntil`, the answer leaves only when it settles (still on its way meanwhile). */
async function sendTokens(
  context: OAuthEndpointsContext,
  response: ServerResponse,
  refreshToken: string,
  includeRefreshToken: boolean,
  heldUntil: Promise<void> | null = null,
): Promise<void> {
  const accessToken = context.ledger.issueAccessToken(refreshToken);
  await heldUntil;
  sendJson(response, 200, {
    access_token: accessToken.value,
    ...(includeRefreshToken ? { refresh_token: refreshToken } : {}),
    scope: grantedScope,
    token_type: 'Bearer',
    expires_in: context.ledger.expiresIn,
  });
}

/** RFC 7009-like; ServiceNow documents `?token=<token>`, a form body works too. Always 200 `{}`, known token or not. */
export async function answerRevocation(
  context: OAuthEndpointsContext,
  request: IncomingMessage,
  url: URL,
  response: ServerResponse,
): Promise<void> {
  const text = await readBody(request);
  const isForm = mediaType(request.headers['content-type']) === 'application/x-www-form-urlencoded';
  const form = new URLSearchParams(isForm ? text : '');
  const fromQuery = url.searchParams.get('token');
  const token = fromQuery ?? form.get('token');
  let matched: RevocationRequestRecord['matched'] = 'none';
  const refreshToken = context.ledger.findRefreshToken(token ?? '');
  if (refreshToken !== undefined) {
    context.ledger.revokeRefreshToken(refreshToken);
    matched = 'refresh_token';
  } else if (token !== null && context.ledger.revokeAccessToken(token)) {
    matched = 'access_token';
  }
  context.revocationRequests.push({
    tokenLocation: fromQuery !== null ? 'query' : token !== null ? 'form' : 'none',
    matched,
    clientAuthenticated: isClientAuthenticated(context, form),
  });
  sendJson(response, 200, {});
}

/** Client credentials count only in the form body, where providers.md says ServiceNow takes them; a Basic header is ignored. */
function isClientAuthenticated(context: OAuthEndpointsContext, form: URLSearchParams): boolean {
  return (
    form.get('client_id') === context.clientId && form.get('client_secret') === context.clientSecret
  );
}

function mediaType(contentType: string | null | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

function s256(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier).digest('base64url');
}
