// What the ServiceNow stand-in records and scripts, ServiceNow's exact error answers, and the small HTTP helpers its handlers share.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tooManyRequestsText, type ScriptedHttpAnswer } from '../http-helpers.ts';

export type { ScriptedHttpAnswer } from '../http-helpers.ts';

/** ServiceNow labels every JSON answer, token endpoint and REST API alike, with this exact content type. */
export const serviceNowJsonContentType = 'application/json;charset=UTF-8';

/**
 * The token endpoint's one failure body: a dead, expired or revoked refresh token, a bad code or
 * verifier, and wrong client credentials all get it, with HTTP 401 (providers.md, ServiceNow).
 */
export const serviceNowAccessDeniedBody =
  '{"error_description":"access_denied","error":"server_error"}';

/** The REST API's answer to a missing or refused bearer, body and challenge exactly. */
export const serviceNowUnauthenticatedBody =
  '{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}';
/** Basic, not Bearer: a browser that sees it pops a native credentials dialog, so the gateway must never pass it on. */
export const serviceNowUnauthenticatedChallenge = 'Basic realm="Service-now"';

/** The REST API's answer to a path that names no resource. */
export const serviceNowNotFoundBody =
  '{"error":{"message":"Requested URI does not represent any resource","detail":null},"status":"failure"}';

/**
 * How the token endpoint answers a refresh grant. `tokens`: a new access token and no
 * `refresh_token` member (ServiceNow does not rotate); `tokens-repeating-refresh-token`: the same
 * refresh token sent back; `hang`: accepted, never answered; `{ heldUntil }`: `tokens` issued at once
 * but answered when the promise settles (an answer still on its way); an object: that exact answer.
 */
export type RefreshScript =
  | 'tokens'
  | 'tokens-repeating-refresh-token'
  | 'hang'
  | { readonly heldUntil: Promise<void> }
  | ScriptedHttpAnswer;

/** Ready answers for `refreshScript`, shaped like what an instance (or its load balancer) sends. */
export const serviceNowFailures = {
  serviceUnavailableHtml: (): ScriptedHttpAnswer => ({
    status: 503,
    headers: { 'content-type': 'text/html;charset=UTF-8' },
    body: '<html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The instance is hibernating or under maintenance.</p></body></html>',
  }),
  serviceUnavailableJson: (): ScriptedHttpAnswer => ({
    status: 503,
    headers: { 'content-type': serviceNowJsonContentType },
    body: '{"error":{"message":"Service Unavailable","detail":"The instance is temporarily unavailable"},"status":"failure"}',
  }),
  tooManyRequestsText,
  accessDenied: (): ScriptedHttpAnswer => ({
    status: 401,
    headers: { 'content-type': serviceNowJsonContentType },
    body: serviceNowAccessDeniedBody,
  }),
} as const;

export interface AuthorizationRequestRecord {
  readonly clientId: string | null;
  readonly redirectUri: string | null;
  readonly state: string | null;
  readonly scope: string | null;
  readonly codeChallenge: string | null;
  readonly codeChallengeMethod: string | null;
}

/** What a token request carried: enough to assert on, never a secret, code, token or verifier. */
export interface TokenRequestRecord {
  readonly grantType: string | null;
  /** The request's `content-type` header as sent, e.g. to prove the gateway never sends JSON. */
  readonly contentType: string | null;
  /** `client_id` and `client_secret` in the form body matched the registered client. */
  readonly clientAuthenticated: boolean;
  readonly hadCodeVerifier: boolean;
  /** BASE64URL(SHA-256(code_verifier)) equals the code's challenge (RFC 7636 §4.6); null unless an authorization_code grant. */
  readonly pkceMatched: boolean | null;
  /** The refresh token was issued by this stand-in (alive or not); null unless a refresh_token grant. */
  readonly refreshTokenKnown: boolean | null;
}

/** One `/oauth_revoke_token.do` request: where the token came and what it matched, never the token. */
export interface RevocationRequestRecord {
  readonly tokenLocation: 'query' | 'form' | 'none';
  readonly matched: 'refresh_token' | 'access_token' | 'none';
  readonly clientAuthenticated: boolean;
}

/** One request to anything but the OAuth endpoints, recorded once its body has been read. */
export interface ApiRequestRecord {
  readonly method: string;
  /** The pathname, without the query. */
  readonly path: string;
  /** The query string without its `?`, empty when there is none. */
  readonly query: string;
  readonly bearer: 'valid' | 'invalid' | 'none';
  /** Which issued access token (0-based, in issue order) the bearer was, whether or not still valid; null when none. */
  readonly accessTokenIndex: number | null;
  /** The body as UTF-8, for replay assertions. */
  readonly body: string;
  /** Lower-cased names; `authorization` replaced by `<redacted>` so records may be printed. */
  readonly headers: Readonly<Record<string, string | string[]>>;
}

/** Handles one overridden API route; the record (already in `apiRequests`) carries the body and the bearer verdict. */
export type ServiceNowRouteHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  record: ApiRequestRecord,
) => void;

/** Sends a JSON text as is, so the exact bytes ServiceNow sends can be reproduced. */
export function sendJsonText(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  response.writeHead(status, {
    'content-type': serviceNowJsonContentType,
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-cache,no-store,must-revalidate,max-age=-1',
    ...headers,
  });
  response.end(text);
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  sendJsonText(response, status, JSON.stringify(body));
}

/** The instance's HTML error page: the authorization endpoint never redirects to an unregistered URI (RFC 6749 §4.1.2.1). */
export function sendHtmlError(response: ServerResponse, status: number, message: string): void {
  const escaped = message.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
  response.writeHead(status, { 'content-type': 'text/html;charset=UTF-8' });
  response.end(
    `<html><head><title>OAuth error</title></head><body><p>${escaped}</p></body></html>`,
  );
}
