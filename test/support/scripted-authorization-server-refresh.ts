// The scripted stand-in's token endpoint pieces: refresh-token chains (rotated as Entra rotates them), Entra's error answers, HTTP helpers.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { tooManyRequestsText } from './http-helpers.ts';
import type {
  RefreshTokenState,
  ScriptedHttpAnswer,
} from './scripted-authorization-server-script.ts';

/** The refresh tokens descended from one code exchange, and the scope that exchange was granted. */
export interface RefreshTokenChain {
  readonly scope: string;
  /** The last one issued: a client that stores what each refresh returns presents this one. */
  latest: string;
}

export type PresentedRefreshToken =
  | { readonly state: 'latest' | 'superseded'; readonly chain: RefreshTokenChain }
  | { readonly state: 'unknown'; readonly chain: undefined };

/**
 * Every refresh token the stand-in issued, by chain. Entra rotates on each refresh but does not
 * revoke the token it replaced (providers.md), so a superseded one keeps working: the state only
 * lets a test see that a client raced or replayed instead of storing the rotated token.
 */
export class RefreshTokenChains {
  readonly #chainByToken = new Map<string, RefreshTokenChain>();
  #latestIssued: string | null = null;

  /** A new token: the first of a new chain (code exchange) or the next of `chain` (refresh). */
  issue(scope: string, chain?: RefreshTokenChain): string {
    const refreshToken = randomBytes(48).toString('base64url');
    const target = chain ?? { scope, latest: refreshToken };
    target.latest = refreshToken;
    this.#chainByToken.set(refreshToken, target);
    this.#latestIssued = refreshToken;
    return refreshToken;
  }

  find(refreshToken: string | null): PresentedRefreshToken {
    const chain = refreshToken === null ? undefined : this.#chainByToken.get(refreshToken);
    if (chain === undefined) return { state: 'unknown', chain: undefined };
    const state: RefreshTokenState = chain.latest === refreshToken ? 'latest' : 'superseded';
    return { state, chain };
  }

  /** The refresh token issued last, whatever its chain: what a store should now hold. */
  get latestIssued(): string | null {
    return this.#latestIssued;
  }
}

/** Entra's `timestamp` format: `2024-05-01 12:34:56Z`. */
function entraTimestamp(now: Date): string {
  return now
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** An Entra error body and the `correlation_id` it carries, for a test to find in the audit log. */
export interface EntraErrorBody {
  readonly body: string;
  readonly correlationId: string;
}

/**
 * The error body Entra's token endpoint sends: never branch on `error_description` (providers.md).
 * The description repeats the trace and correlation IDs and the timestamp, as Entra's does.
 */
export function entraErrorBody(
  error: string,
  aadsts: number,
  description: string,
  extra: Readonly<Record<string, unknown>> = {},
): EntraErrorBody {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = entraTimestamp(new Date());
  const body = JSON.stringify({
    error,
    error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
    ...extra,
  });
  return { body, correlationId };
}

export const jsonHeaders = { 'content-type': 'application/json; charset=utf-8' };

function entraAnswer(
  status: number,
  entraError: EntraErrorBody,
  headers: Readonly<Record<string, string>> = {},
): ScriptedHttpAnswer {
  return { status, headers: { ...jsonHeaders, ...headers }, ...entraError };
}

/** A conditional access claims challenge, a JSON string as Entra puts it in the body (not base64). */
function claimsChallenge(): string {
  return JSON.stringify({
    access_token: { capolids: { essential: true, values: [randomUUID()] } },
  });
}

/**
 * Canned token endpoint failures, as Entra (or the load balancer in front of it) answers them.
 * Each call builds a fresh body; Entra-shaped ones return its `correlation_id` as `correlationId`.
 */
export const tokenEndpointFailures = {
  /** The code expired or was redeemed already. */
  invalidGrant: (): ScriptedHttpAnswer =>
    entraAnswer(
      400,
      entraErrorBody(
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity.',
      ),
    ),
  /** The refresh token expired after 90 days unused: sign in again (the providers.md example). */
  invalidGrantInactive: (): ScriptedHttpAnswer =>
    entraAnswer(
      400,
      entraErrorBody(
        'invalid_grant',
        700082,
        'The refresh token has expired due to inactivity. The token was issued on 2024-01-02T03:04:05.0000000Z and was inactive for 90.00:00:00.',
        { suberror: 'bad_token' },
      ),
    ),
  /** Conditional access now wants MFA: sign in again, interactively, with the `claims`. */
  interactionRequired: (): ScriptedHttpAnswer =>
    entraAnswer(
      400,
      entraErrorBody(
        'interaction_required',
        50079,
        'Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access the resource.',
        { suberror: 'basic_action', claims: claimsChallenge() },
      ),
    ),
  /** Entra's transient error in a 400 body: try again later, keep the tokens. */
  temporarilyUnavailable: (): ScriptedHttpAnswer =>
    entraAnswer(
      400,
      entraErrorBody(
        'temporarily_unavailable',
        90033,
        'A transient error has occurred. Please try again.',
      ),
    ),
  /** The same transient error as a JSON 503 with `Retry-After`: oauth4webapi ignores any 5xx body. */
  serviceUnavailableJson: (): ScriptedHttpAnswer =>
    entraAnswer(
      503,
      entraErrorBody(
        'temporarily_unavailable',
        90033,
        'A transient error has occurred. Please try again.',
      ),
      { 'retry-after': '7' },
    ),
  /** A wrong or expired client secret (AADSTS7000215): the gateway is misconfigured. */
  invalidClient: (): ScriptedHttpAnswer =>
    entraAnswer(401, entraErrorBody('invalid_client', 7000215, 'Invalid client secret provided.')),
  /** The application is not registered in the tenant: misconfigured, a new login would loop. */
  unauthorizedClient: (): ScriptedHttpAnswer =>
    entraAnswer(
      400,
      entraErrorBody(
        'unauthorized_client',
        700016,
        `Application with identifier '${randomUUID()}' was not found in the directory 'contoso.example'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      ),
    ),
  /** A malformed request: misconfigured, a new login would loop. */
  invalidRequest: (): ScriptedHttpAnswer =>
    entraAnswer(
      400,
      entraErrorBody(
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      ),
    ),
  unsupportedGrantType: (): ScriptedHttpAnswer =>
    entraAnswer(
      400,
      entraErrorBody(
        'unsupported_grant_type',
        70003,
        'The app requested an unsupported grant type.',
      ),
    ),
  serviceUnavailableHtml: (): ScriptedHttpAnswer => ({
    status: 503,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h2>Service Unavailable</h2><hr><p>HTTP Error 503. The service is unavailable.</p></body></html>',
  }),
  // Typed as this table's answers, so a test reads `correlationId` off any of them (absent here).
  tooManyRequestsText: (): ScriptedHttpAnswer => tooManyRequestsText(),
} as const;

/** RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding. */
export function parseBasic(
  header: string | undefined,
): { clientId: string; clientSecret: string } | null {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
  return {
    clientId: formDecode(decoded.slice(0, colon)),
    clientSecret: formDecode(decoded.slice(colon + 1)),
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response
    .writeHead(status, { ...jsonHeaders, 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}
