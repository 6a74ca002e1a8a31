// The one error model: every failure the gateway reports carries a status, a stable code and a safe message.
import type { ProviderId } from '../config/types.ts';

/** Why the SPA must sign in again (contract §4, the reauth payload's `reason`). */
export const reauthReasons = [
  'no_session',
  'session_expired',
  'not_connected',
  'refresh_failed',
  'upstream_rejected',
  'claims_challenge',
] as const;
export type ReauthReason = (typeof reauthReasons)[number];

/** Stable snake_case codes; each maps to one problem `type` in gateway/problem.ts. */
export type GatewayErrorCode =
  | 'reauth_required'
  | 'csrf'
  | 'invalid_login_state'
  | 'invalid_logout_token'
  | 'invalid_request'
  | 'request_timeout'
  | 'content_too_large'
  | 'invalid_path'
  | 'route_not_allowed'
  | 'unknown_provider'
  | 'not_found'
  | 'method_not_allowed'
  | 'too_many_requests'
  | 'provider_unavailable'
  | 'provider_misconfigured'
  | 'retry'
  | 'store_unavailable'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'invalid_handoff'
  | 'invalid_sso_token'
  | 'internal_error';

export interface GatewayErrorOptions {
  /** Extra problem members (RFC 9457 §3.2), e.g. `provider`, `reason`, `login_url`. Never a secret. */
  readonly members?: Readonly<Record<string, string>>;
  /** Seconds for a `Retry-After` header (RFC 9110 §10.2.3). */
  readonly retryAfterSeconds?: number;
  /** The underlying failure, for logs only: it is never serialised into a response. */
  readonly cause?: unknown;
}

/**
 * A failure with an HTTP meaning. `message` is safe to show a browser: it never holds a token,
 * code, cookie value or secret. `gateway/problem.ts` alone serialises it (RFC 9457).
 */
export class GatewayError extends Error {
  readonly status: number;
  readonly code: GatewayErrorCode;
  readonly members: Readonly<Record<string, string>>;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    code: GatewayErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.status = status;
    this.code = code;
    this.members = options.members ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The 401 reauth payload of contract §4: tells the SPA where to sign in again. */
export function reauthRequired(
  provider: ProviderId,
  reason: ReauthReason,
  detail: string,
  extra: { providerError?: string; loginUrl?: string; cause?: unknown } = {},
): GatewayError {
  const members: Record<string, string> = {
    provider,
    reason,
    login_url: extra.loginUrl ?? `/auth/login/${provider}`,
  };
  if (reason === 'refresh_failed' && extra.providerError !== undefined) {
    members.provider_error = extra.providerError;
  }
  return new GatewayError(401, 'reauth_required', detail, { members, cause: extra.cause });
}
