// Turns a validated token endpoint response (RFC 6749 §5.1) into the tokens a session stores, for the code exchange and the refresh alike.
import type * as oauth from 'oauth4webapi';
import type { ProviderTokens } from '../session/session-types.ts';

/** Used when a token response omits `expires_in`: assume a short life rather than a long one. */
const fallbackLifetimeSeconds = 300;

/**
 * `previous` is what the response does not replace: the refresh token when the server did not
 * rotate it (ServiceNow never does; RFC 6749 §6 allows it), the granted scopes when it names none
 * (RFC 6749 §5.1: omitted when identical to those requested), and the subject.
 */
export function providerTokensFrom(
  result: oauth.TokenEndpointResponse,
  previous: Pick<ProviderTokens, 'refreshToken' | 'scopes' | 'subject'>,
  now: number,
): ProviderTokens {
  const lifetime =
    typeof result.expires_in === 'number' && result.expires_in > 0
      ? result.expires_in
      : fallbackLifetimeSeconds;
  return {
    accessToken: result.access_token,
    refreshToken:
      typeof result.refresh_token === 'string' && result.refresh_token !== ''
        ? result.refresh_token
        : previous.refreshToken,
    expiresAtMs: now + lifetime * 1000,
    scopes:
      typeof result.scope === 'string'
        ? result.scope.split(' ').filter(Boolean)
        : [...previous.scopes],
    subject: previous.subject,
  };
}
