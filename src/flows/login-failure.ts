// LoginFailure: a login that failed for a reason reported to the app (`bff_error`), never a 5xx.

/**
 * A login that failed for a reason the app is told about (contract §3): the provider's own `error`
 * (e.g. `access_denied` when the user pressed Cancel), `exchange_failed`, `invalid_id_token`,
 * `invalid_response`, `provider_unavailable`, `tenant_not_allowed`. Never a 5xx.
 */
export class LoginFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LoginFailure';
    this.code = code;
  }
}
