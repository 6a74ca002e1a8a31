// The client's typed errors: one base class, and one subclass per situation an app handles differently.
/**
 * Every error the client module throws itself. A message names the provider and what to do, never
 * a token, an authorization code or a handoff code (they could end up in an app's error reporting).
 * Network failures and aborts are not wrapped: they stay the `TypeError` / `AbortError` of `fetch`.
 */
export class BffError extends Error {
    name = 'BffError';
}
/** 401 `urn:bff:reauth-required`: the user must sign in to `provider` again (`login()` or `loginUrl`). */
export class ReauthRequiredError extends BffError {
    name = 'ReauthRequiredError';
    provider;
    reason;
    loginUrl;
    providerError;
    constructor(details, options) {
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
    name = 'ProviderUnavailableError';
    /** `urn:bff:provider-unavailable`, `urn:bff:store-unavailable`, or `urn:bff:retry` (resend failed). */
    type;
    /** Seconds to wait, from `Retry-After` (fractions kept); null when the gateway named none. */
    retryAfter;
    constructor(type, retryAfter) {
        const wait = retryAfter === null ? 'later' : `in ${retryAfter} s`;
        super(`the gateway is temporarily unable to serve the request (${type}); retry ${wait}`);
        this.type = type;
        this.retryAfter = retryAfter;
    }
}
/** `window.open` returned null: browsers open popups only from a user gesture (a click handler). */
export class PopupBlockedError extends BffError {
    name = 'PopupBlockedError';
    provider;
    constructor(provider) {
        super(`the browser blocked the sign-in popup for ${provider}: call login() directly from a click ` +
            `handler (not after an await that outlasts the click), or use { mode: 'redirect' }`);
        this.provider = provider;
    }
}
/** The user closed the sign-in popup before it reported a result. */
export class LoginCancelledError extends BffError {
    name = 'LoginCancelledError';
    provider;
    constructor(provider) {
        super(`the sign-in popup for ${provider} was closed before sign-in completed`);
        this.provider = provider;
    }
}
/** The popup reported `ok: false`: `error` is the provider's or the gateway's code (`access_denied`, …). */
export class LoginFailedError extends BffError {
    name = 'LoginFailedError';
    provider;
    error;
    constructor(provider, error) {
        super(`sign-in to ${provider} failed: ${error}`);
        this.provider = provider;
        this.error = error;
    }
}
/** 400 `urn:bff:invalid-handoff`: unknown, expired, used, or redeemed from another app context. */
export class HandoffRefusedError extends BffError {
    name = 'HandoffRefusedError';
    constructor() {
        super('the gateway refused the handoff code (malformed, unknown, expired, already used, or ' +
            'redeemed outside the context that started the handoff): start a new handoff');
    }
}
/** 401 `urn:bff:invalid-sso-token`: the Office SSO token failed validation; fall back to a dialog sign-in. */
export class SsoTokenRefusedError extends BffError {
    name = 'SsoTokenRefusedError';
    constructor() {
        super('the gateway refused the single sign-on token: sign in through a dialog instead');
    }
}
/** Any other answer the client cannot use (a 5xx of the gateway, a JSON body of the wrong shape). */
export class UnexpectedResponseError extends BffError {
    name = 'UnexpectedResponseError';
    status;
    /** The problem `type` when the body was application/problem+json, else null. */
    type;
    constructor(what, status, type) {
        super(`${what}: unexpected answer ${status}${type === null ? '' : ` (${type})`}`);
        this.status = status;
        this.type = type;
    }
}
