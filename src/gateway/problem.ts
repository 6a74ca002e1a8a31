// Builds every application/problem+json body the contract names (RFC 9457), from a GatewayError.
import { GatewayError, type GatewayErrorCode } from '../errors/gateway-error.ts';

const problemTypes: Readonly<Record<GatewayErrorCode, { type: string; title: string }>> = {
  reauth_required: { type: 'urn:bff:reauth-required', title: 'Re-authentication required' },
  csrf: { type: 'urn:bff:csrf', title: 'Missing anti-forgery header' },
  invalid_login_state: {
    type: 'urn:bff:invalid-login-state',
    title: 'Invalid or expired login state',
  },
  invalid_logout_token: { type: 'urn:bff:invalid-logout-token', title: 'Invalid logout token' },
  invalid_request: { type: 'urn:bff:invalid-request', title: 'Invalid request' },
  request_timeout: { type: 'urn:bff:request-timeout', title: 'Request body timed out' },
  content_too_large: { type: 'urn:bff:content-too-large', title: 'Request body too large' },
  invalid_path: { type: 'urn:bff:invalid-path', title: 'Invalid path' },
  route_not_allowed: { type: 'urn:bff:route-not-allowed', title: 'Route not allowed' },
  unknown_provider: { type: 'urn:bff:unknown-provider', title: 'Unknown provider' },
  not_found: { type: 'urn:bff:not-found', title: 'Not found' },
  method_not_allowed: { type: 'urn:bff:method-not-allowed', title: 'Method not allowed' },
  too_many_requests: { type: 'urn:bff:too-many-requests', title: 'Too many requests in flight' },
  provider_unavailable: { type: 'urn:bff:provider-unavailable', title: 'Provider unavailable' },
  provider_misconfigured: {
    type: 'urn:bff:provider-misconfigured',
    title: 'Provider rejected the gateway',
  },
  retry: { type: 'urn:bff:retry', title: 'Request must be sent again' },
  store_unavailable: { type: 'urn:bff:store-unavailable', title: 'Session store unavailable' },
  upstream_unreachable: { type: 'urn:bff:upstream-unreachable', title: 'Upstream unreachable' },
  upstream_timeout: { type: 'urn:bff:upstream-timeout', title: 'Upstream timed out' },
  invalid_handoff: { type: 'urn:bff:invalid-handoff', title: 'Handoff code refused' },
  invalid_sso_token: { type: 'urn:bff:invalid-sso-token', title: 'Invalid Office SSO token' },
  internal_error: { type: 'urn:bff:internal-error', title: 'Internal error' },
};

export interface ProblemResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Any thrown value → a problem response; anything not a GatewayError is a 500 with no detail leaked. */
export function toProblem(error: unknown): ProblemResponse {
  const gatewayError =
    error instanceof GatewayError
      ? error
      : new GatewayError(500, 'internal_error', 'the gateway failed to handle the request');
  const { type, title } = problemTypes[gatewayError.code];
  const body = {
    type,
    title,
    status: gatewayError.status,
    detail: gatewayError.message,
    ...gatewayError.members,
  };
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    // A problem describes this request only; never let a cache replay it (and it may name a session state).
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  if (gatewayError.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(Math.max(0, Math.ceil(gatewayError.retryAfterSeconds)));
  }
  if (gatewayError.status === 401) {
    // Our own challenge, never `Basic` (which would pop a native credentials dialog): contract §4.
    headers['www-authenticate'] = 'Bearer realm="bff"';
  }
  if (gatewayError.status === 408) {
    // RFC 9110 §15.5.9: the rest of a stalled body may still arrive; it must not be read as a request.
    headers.connection = 'close';
  }
  return { status: gatewayError.status, headers, body: JSON.stringify(body) };
}
