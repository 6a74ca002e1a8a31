// Classifies every way a refresh can fail, in one function: sign in again, try again later, or the gateway is misconfigured.
import type { ProviderConfig } from '../config/types.ts';

/**
 * - `rejected`: the authorization server refused the refresh token; only a new login helps.
 * - `unavailable`: the server could not answer now (network, timeout, 5xx, 429); tokens are kept.
 * - `misconfigured`: the server says the gateway's own registration is wrong; a new login would loop.
 */
export type RefreshFailureKind = 'rejected' | 'unavailable' | 'misconfigured';

/** What a failed token-endpoint answer said, for the audit log: codes and ids only, never a token. */
export interface RefreshFailureDetails {
  readonly status: number | null;
  /** Entra's AADSTS numbers (`error_codes`). */
  readonly errorCodes: readonly number[];
  readonly suberror: string | null;
  readonly correlationId: string | null;
  readonly traceId: string | null;
  /** The answer is also what the provider sends for wrong client credentials (ServiceNow). */
  readonly possibleMisconfiguration: boolean;
}

export class RefreshFailure extends Error {
  readonly kind: RefreshFailureKind;
  /** The provider's RFC 6749 §5.2 `error` code, when it sent one of sound shape. */
  readonly providerError: string | null;
  readonly retryAfterSeconds: number;
  readonly details: RefreshFailureDetails;

  constructor(
    kind: RefreshFailureKind,
    message: string,
    options: {
      providerError?: string | null;
      retryAfterSeconds?: number;
      details?: Partial<RefreshFailureDetails>;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RefreshFailure';
    this.kind = kind;
    this.providerError = options.providerError ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds ?? defaultRetryAfterSeconds;
    this.details = { ...noDetails, ...options.details };
  }
}

/** When the server names no `Retry-After`, the SPA tries again after this long. */
export const defaultRetryAfterSeconds = 5;
/** A provider's `Retry-After` is honoured up to this bound; longer waits are still retryable. */
const maxRetryAfterSeconds = 300;

const noDetails: RefreshFailureDetails = {
  status: null,
  errorCodes: [],
  suberror: null,
  correlationId: null,
  traceId: null,
  possibleMisconfiguration: false,
};

/** RFC 6749 §5.2 and OpenID Connect Core §3.1.2.6 codes that mean the grant itself is no longer good. */
const signInAgainErrors: ReadonlySet<string> = new Set([
  'invalid_grant',
  'interaction_required',
  'login_required',
  'consent_required',
  'account_selection_required',
]);
/** Entra `suberror` values that mean the user must act (providers.md), whatever the `error`. */
const signInAgainSuberrors: ReadonlySet<string> = new Set([
  'basic_action',
  'additional_action',
  'message_only',
  'user_password_expired',
  'consent_required',
  'bad_token',
]);
/** The server is temporarily unable to answer (RFC 6749 §4.1.2.1 `temporarily_unavailable`). */
const transientErrors: ReadonlySet<string> = new Set(['temporarily_unavailable']);

/** A code or id from the response goes into a log line: only these shapes pass. */
const errorCodePattern = /^[a-z0-9_]{1,64}$/;
const identifierPattern = /^[0-9a-fA-F-]{8,64}$/;

/** What the token endpoint answered, read before oauth4webapi consumed it. */
export interface TokenEndpointAnswer {
  readonly status: number;
  readonly retryAfter: string | null;
  /** The parsed JSON body, or null when it was not JSON. */
  readonly body: unknown;
}

/** What classification needs of a token endpoint's response, read from a copy (oauth4webapi reads the body after). */
export async function readTokenEndpointAnswer(response: Response): Promise<TokenEndpointAnswer> {
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response
      .clone()
      .json()
      .catch(() => null),
  };
}

/**
 * The one classification of a failed refresh (providers.md "Token-endpoint errors"): first the
 * transport (no answer), then the HTTP status, then `error` and `suberror`, then the provider's own
 * documented answers. Never branches on `error_description` text except where a provider documents
 * it as the meaning (ServiceNow).
 */
export function classifyRefreshFailure(
  provider: ProviderConfig,
  error: unknown,
  answer: TokenEndpointAnswer | null,
): RefreshFailure {
  if (error instanceof RefreshFailure) return error;
  if (answer === null) {
    // No answer at all: a network failure (fetch's TypeError) or the PROVIDER_TIMEOUT_S bound.
    return new RefreshFailure('unavailable', `the ${provider.id} token endpoint did not answer`, {
      cause: error,
    });
  }
  const fields = readErrorFields(answer.body);
  const details: Partial<RefreshFailureDetails> = { ...fields.details, status: answer.status };
  const retryAfterSeconds = parseRetryAfter(answer.retryAfter);
  const failure = (kind: RefreshFailureKind, message: string, extra: object = {}) =>
    new RefreshFailure(kind, message, {
      providerError: fields.error,
      retryAfterSeconds,
      details: { ...details, ...extra },
      cause: error,
    });

  // 5xx (oauth4webapi: OperationProcessingError, even with a JSON body) and 429 (often plain text).
  if (answer.status >= 500 || answer.status === 429) {
    return failure('unavailable', `the ${provider.id} token endpoint answered ${answer.status}`);
  }
  if (answer.status >= 200 && answer.status < 300) {
    // A sound token part whose ID token failed validation (OpenID Connect Core §12.2): forged or
    // foreign, so the connection ends. Anything else (not JSON, no access token) is a broken or
    // intercepted answer, not a verdict on the grant.
    const accessToken = (answer.body as { access_token?: unknown } | null)?.access_token;
    return typeof accessToken === 'string'
      ? failure('rejected', `the ${provider.id} token endpoint sent an invalid ID token`)
      : failure('unavailable', `the ${provider.id} token endpoint sent an unusable answer`);
  }
  const documented = provider.refreshRejections.find(
    (rejection) =>
      rejection.status === answer.status &&
      rejection.error === fields.error &&
      (rejection.errorDescription === null ||
        rejection.errorDescription === fields.errorDescription),
  );
  if (documented !== undefined) {
    return failure('rejected', `the ${provider.id} authorization server refused the refresh`, {
      possibleMisconfiguration: documented.alsoMeansBadClientCredentials,
    });
  }
  if (fields.error !== null && transientErrors.has(fields.error)) {
    return failure('unavailable', `the ${provider.id} authorization server is busy`);
  }
  if (
    (fields.error !== null && signInAgainErrors.has(fields.error)) ||
    (fields.suberror !== null && signInAgainSuberrors.has(fields.suberror))
  ) {
    return failure('rejected', `the ${provider.id} authorization server refused the refresh`);
  }
  // invalid_client, unauthorized_client, invalid_request, unsupported_grant_type, invalid_scope, an
  // unknown code or a non-JSON 4xx: the gateway's registration or request is wrong, and sending the
  // user to sign in again would only loop back here.
  return failure(
    'misconfigured',
    `the ${provider.id} authorization server refused the gateway's refresh request`,
  );
}

function readErrorFields(body: unknown): {
  error: string | null;
  errorDescription: string | null;
  suberror: string | null;
  details: Partial<RefreshFailureDetails>;
} {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = (value: unknown): string | null =>
    typeof value === 'string' && errorCodePattern.test(value) ? value : null;
  const identifier = (value: unknown): string | null =>
    typeof value === 'string' && identifierPattern.test(value) ? value : null;
  const errorCodes = Array.isArray(record.error_codes)
    ? record.error_codes.filter((value): value is number => Number.isSafeInteger(value))
    : [];
  const suberror = code(record.suberror);
  return {
    error: code(record.error),
    // Compared, never logged: it is free text.
    errorDescription:
      typeof record.error_description === 'string' ? record.error_description : null,
    suberror,
    details: {
      errorCodes: errorCodes.slice(0, 8),
      suberror,
      correlationId: identifier(record.correlation_id),
      traceId: identifier(record.trace_id),
    },
  };
}

/** RFC 9110 §10.2.3: delay-seconds (Graph sends fractions such as `2.128`) or an HTTP-date. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number {
  if (value === null || value.trim() === '') return defaultRetryAfterSeconds;
  const trimmed = value.trim();
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) seconds = Math.ceil(Number(trimmed));
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return defaultRetryAfterSeconds;
    seconds = Math.ceil((date - nowMs) / 1000);
  }
  return Math.min(Math.max(seconds, 1), maxRetryAfterSeconds);
}
