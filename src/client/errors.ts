// The client's typed errors: one base class, and one subclass per situation an app handles differently.

/** Why the gateway asks for a new sign-in (contract §4); open-ended so a newer gateway's reason still types. */
export type ReauthReason =
  | 'no_session'
  | 'session_expired'
  | 'not_connected'
  | 'refresh_failed'
  | 'upstream_rejected'
  | 'claims_challenge'
  | (string & {});

/**
 * Every error the client module throws itself. A message names the provider and what to do, never
 * a token, an authorization code or a handoff code (they could end up in an app's error reporting).
 * Network failures and aborts are not wrapped: they stay the `TypeError` / `AbortError` of `fetch`.
 */
export class BffError extends Error {
  override name = 'BffError';
}

export interface ReauthDetails {
  readonly provider: string;
  readonly reason: ReauthReason;
  /** Absolute URL of the gateway's login endpoint for this provider (a claims challenge included). */
  readonly loginUrl: string;
  /** The provider's OAuth error code, only with reason `refresh_failed` (`invalid_grant`, …). */
  readonly providerError: string | null;
}

/** 401 `urn:bff:reauth-required`: the user must sign in to `provider` again (`login()` or `loginUrl`). */
export class ReauthRequiredError extends BffError implements ReauthDetails {
  override name = 'ReauthRequiredError';
  readonly provider: string;
  readonly reason: ReauthReason;
  readonly loginUrl: string;
  readonly providerError: string | null;

  constructor(details: ReauthDetails, options?: ErrorOptions) {
    super(`sign-in to ${details.provider} required (reason: ${details.reason})`, options);
    this.provider = details.provider;
    this.reason = details.reason;
    this.loginUrl = details.loginUrl;
    this.providerError = details.providerError;
  }
}

/**
 * 503 from the gateway itself: the provider's authorization server or the session store cannot be
 * reached right now. The session and tokens are kept: retry later, do not sign in again.
 */
export class ProviderUnavailableError extends BffError {
  override name = 'ProviderUnavailableError';
  /** `urn:bff:provider-unavailable`, `urn:bff:store-unavailable`, or `urn:bff:retry` (resend failed). */
  readonly type: string;
  /** Seconds to wait, from `Retry-After` (fractions kept); null when the gateway named none. */
  readonly retryAfter: number | null;

  constructor(type: string, retryAfter: number | null) {
    const wait = retryAfter === null ? 'later' : `in ${retryAfter} s`;
    super(`the gateway is temporarily unable to serve the request (${type}); retry ${wait}`);
    this.type = type;
    this.retryAfter = retryAfter;
  }
}

/** `window.open` returned null: browsers open popups only from a user gesture (a click handler). */
export class PopupBlockedError extends BffError {
  override name = 'PopupBlockedError';
  readonly provider: string;

  constructor(provider: string) {
    super(
      `the browser blocked the sign-in popup for ${provider}: call login() directly from a click ` +
        `handler (not after an await that outlasts the click), or use { mode: 'redirect' }`,
    );
    this.provider = provider;
  }
}

/** The user closed the sign-in popup before it reported a result. */
export class LoginCancelledError extends BffError {
  override name = 'LoginCancelledError';
  readonly provider: string;

  constructor(provider: string) {
    super(`the sign-in popup for ${provider} was closed before sign-in completed`);
    this.provider = provider;
  }
}

/** The popup reported `ok: false`: `error` is the provider's or the gateway's code (`access_denied`, …). */
export class LoginFailedError extends BffError {
  override name = 'LoginFailedError';
  readonly provider: string;
  readonly error: string;

  constructor(provider: string, error: string) {
    super(`sign-in to ${provider} failed: ${error}`);
    this.provider = provider;
    this.error = error;
  }
}

/** 400 `urn:bff:invalid-handoff`: unknown, expired, used, or redeemed from another app context. */
export class HandoffRefusedError extends BffError {
  override name = 'HandoffRefusedError';

  constructor() {
    super(
      'the gateway refused the handoff code (malformed, unknown, expired, already used, or ' +
        'redeemed outside the context that started the handoff): start a new handoff',
    );
  }
}

/** 401 `urn:bff:invalid-sso-token`: the Office SSO token failed validation; fall back to a dialog sign-in. */
export class SsoTokenRefusedError extends BffError {
  override name = 'SsoTokenRefusedError';

  constructor() {
    super('the gateway refused the single sign-on token: sign in through a dialog instead');
  }
}

/** Any other answer the client cannot use (a 5xx of the gateway, a JSON body of the wrong shape). */
export class UnexpectedResponseError extends BffError {
  override name = 'UnexpectedResponseError';
  readonly status: number;
  /** The problem `type` when the body was application/problem+json, else null. */
  readonly type: string | null;

  constructor(what: string, status: number, type: string | null) {
    super(`${what}: unexpected answer ${status}${type === null ? '' : ` (${type})`}`);
    this.status = status;
    this.type = type;
  }
}
