// What a refresh tells the audit log and the browser: codes and correlation ids for operators, the contract's answer for the SPA.
import type { ProviderId } from '../config/types.ts';
import { GatewayError, reauthRequired } from '../errors/gateway-error.ts';
import { audit } from '../observability/audit.ts';
import type { Logger } from '../observability/logger.ts';
import type { StoredRefreshFailure } from '../session/session-types.ts';
import type { RefreshFailure } from './refresh-failure.ts';

export function auditRefreshSuccess(
  logger: Logger,
  provider: ProviderId,
  sessionId: string,
  subject: string | null,
): void {
  audit(logger, 'refresh', {
    provider,
    sessionId,
    ...(subject === null ? {} : { sub: subject }),
    outcome: 'success',
  });
}

/**
 * Keeps what an operator needs to follow a failure up with the provider (Entra's AADSTS code,
 * `correlation_id`, `trace_id`), never the response body, whose description may quote user data.
 */
export function auditRefreshFailure(
  logger: Logger,
  provider: ProviderId,
  sessionId: string,
  subject: string | null,
  failure: RefreshFailure,
): void {
  const { details } = failure;
  audit(logger, 'refresh_failed', {
    provider,
    sessionId,
    ...(subject === null ? {} : { sub: subject }),
    outcome: 'failure',
    reason: failure.kind,
    ...(failure.providerError === null ? {} : { provider_error: failure.providerError }),
    ...(details.status === null ? {} : { status: details.status }),
    ...(details.errorCodes.length === 0 ? {} : { aadsts: details.errorCodes.join(',') }),
    ...(details.suberror === null ? {} : { suberror: details.suberror }),
    ...(details.correlationId === null ? {} : { correlation_id: details.correlationId }),
    ...(details.traceId === null ? {} : { trace_id: details.traceId }),
  });
  if (failure.kind === 'misconfigured') {
    logger.error(
      { provider, status: details.status, provider_error: failure.providerError },
      'the authorization server refused the gateway itself: check the client id, secret and registration',
    );
  } else if (details.possibleMisconfiguration) {
    logger.warn(
      { provider, status: details.status, provider_error: failure.providerError },
      'refresh refused with an answer the provider also sends for wrong client credentials: check the client secret if every user is affected',
    );
  }
}

/** Contract §4: rejected → 401 reauth `refresh_failed`; unavailable → 503; misconfigured → 502. */
export function refreshFailureError(provider: ProviderId, failure: RefreshFailure): GatewayError {
  switch (failure.kind) {
    case 'rejected':
      return reauthRequired(
        provider,
        'refresh_failed',
        `the ${provider} session can no longer be refreshed`,
        {
          providerError: failure.providerError ?? undefined,
          cause: failure,
        },
      );
    case 'unavailable':
      return new GatewayError(
        503,
        'provider_unavailable',
        `the ${provider} authorization server is unavailable; try again later`,
        { retryAfterSeconds: failure.retryAfterSeconds, cause: failure },
      );
    case 'misconfigured':
      return new GatewayError(
        502,
        'provider_misconfigured',
        `the ${provider} authorization server refused the gateway's configuration`,
        { cause: failure },
      );
  }
}

/**
 * A session without that provider's tokens: `refresh_failed` (with the provider's error) when a
 * rejected refresh ended the connection, `not_connected` when it was never made.
 */
export function missingTokensError(
  provider: ProviderId,
  refreshFailure: StoredRefreshFailure | null,
): GatewayError {
  return refreshFailure === null
    ? reauthRequired(provider, 'not_connected', `the session is not connected to ${provider}`)
    : reauthRequired(provider, 'refresh_failed', `the ${provider} connection has ended`, {
        providerError: refreshFailure.providerError ?? undefined,
      });
}
