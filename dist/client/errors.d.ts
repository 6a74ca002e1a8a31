/** Why the gateway asks for a new sign-in (contract §4); open-ended so a newer gateway's reason still types. */
export type ReauthReason = 'no_session' | 'session_expired' | 'not_connected' | 'refresh_failed' | 'upstream_rejected' | 'claims_challenge' | (string & {});
/**
 * Every error the client module throws itself. A message names the provider and what to do, never
 * a token, an authorization code or a handoff code (they could end up in an app's error reporting).
 * Network failures and aborts are not wrapped: they stay the `TypeError` / `AbortError` of `fetch`.
 */
export declare class BffError extends Error {
    name: string;
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
export declare class ReauthRequiredError extends BffError implements ReauthDetails {
    name: string;
    readonly provider: string;
    readonly reason: ReauthReason;
    readonly loginUrl: string;
    readonly providerError: string | null;
    constructor(details: ReauthDetails, options?: ErrorOptions);
}
/**
 * 503 from the gateway itself: the provider's authorization server or the session store cannot be
 * reached right now. The session and tokens are kept: retry later, do not sign in again.
 */
export declare class ProviderUnavailableError extends BffError {
    name: string;
    /** `urn:bff:provider-unavailable`, `urn:bff:store-unavailable`, or `urn:bff:retry` (resend failed). */
    readonly type: string;
    /** Seconds to wait, from `Retry-After` (fractions kept); null when the gateway named none. */
    readonly retryAfter: number | null;
    constructor(type: string, retryAfter: number | null);
}
/** `window.open` returned null: browsers open popups only from a user gesture (a click handler). */
export declare class PopupBlockedError extends BffError {
    name: string;
    readonly provider: string;
    constructor(provider: string);
}
/** The user closed the sign-in popup before it reported a result. */
export declare class LoginCancelledError extends BffError {
    name: string;
    readonly provider: string;
    constructor(provider: string);
}
/** The popup reported `ok: false`: `error` is the provider's or the gateway's code (`access_denied`, …). */
export declare class LoginFailedError extends BffError {
    name: string;
    readonly provider: string;
    readonly error: string;
    constructor(provider: string, error: string);
}
/** 400 `urn:bff:invalid-handoff`: unknown, expired, used, or redeemed from another app context. */
export declare class HandoffRefusedError extends BffError {
    name: string;
    constructor();
}
/** 401 `urn:bff:invalid-sso-token`: the Office SSO token failed validation; fall back to a dialog sign-in. */
export declare class SsoTokenRefusedError extends BffError {
    name: string;
    constructor();
}
/** Any other answer the client cannot use (a 5xx of the gateway, a JSON body of the wrong shape). */
export declare class UnexpectedResponseError extends BffError {
    name: string;
    readonly status: number;
    /** The problem `type` when the body was application/problem+json, else null. */
    readonly type: string | null;
    constructor(what: string, status: number, type: string | null);
}
