// Revokes a provider's tokens at logout (RFC 7009), best effort: a failure is logged and never blocks the logout.
import * as oauth from 'oauth4webapi';
import type { ProviderId } from '../config/types.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { ProviderTokens } from '../session/session-types.ts';
import type { AuthorizationServers } from './authorization-servers.ts';

/**
 * The user waits for logout's answer: revocation gets at most this long (or PROVIDER_TIMEOUT_S if
 * shorter). The tokens are already deleted from the store, so a provider that hangs costs only this.
 */
const maximumRevocationWaitMs = 2_000;

/** What became of one provider's tokens: logged and audited, never shown to the browser. */
export type RevocationOutcome = 'revoked' | 'not_supported' | 'failed';

/**
 * Revokes the refresh token, or the access token when none was issued. RFC 7009 §2.1: revoking a
 * refresh token SHOULD also invalidate the access tokens of the same grant, so one request is
 * enough. A provider without a `revocation_endpoint` (Entra ID) gets no request: deleting the
 * tokens from the store is then the whole logout on the gateway's side.
 */
export async function revokeProviderTokens(
  authorizationServers: AuthorizationServers,
  providerId: ProviderId,
  tokens: ProviderTokens,
  logger: Logger,
): Promise<RevocationOutcome> {
  try {
    const provider = await authorizationServers.resolve(providerId);
    if (provider.authorizationServer.revocation_endpoint === undefined) return 'not_supported';
    const [token, hint] =
      tokens.refreshToken === null
        ? [tokens.accessToken, 'access_token']
        : [tokens.refreshToken, 'refresh_token'];
    const response = await oauth.revocationRequest(
      provider.authorizationServer,
      provider.client,
      provider.clientAuthentication,
      token,
      { ...shortened(provider.httpOptions()), additionalParameters: { token_type_hint: hint } },
    );
    await oauth.processRevocationResponse(response);
    return 'revoked';
  } catch (error) {
    // Kind and code only: the error may quote the provider's answer.
    logger.warn(
      { provider: providerId, error: describeError(error) },
      'token revocation failed; the tokens were deleted from the store all the same',
    );
    return 'failed';
  }
}

/** Revokes every provider's tokens of an ended session in parallel; resolves when all have answered or timed out. */
export async function revokeAll(
  authorizationServers: AuthorizationServers,
  providers: ReadonlyMap<ProviderId, ProviderTokens>,
  logger: Logger,
): Promise<Map<ProviderId, RevocationOutcome>> {
  const entries = await Promise.all(
    [...providers].map(
      async ([providerId, tokens]) =>
        [
          providerId,
          await revokeProviderTokens(authorizationServers, providerId, tokens, logger),
        ] as const,
    ),
  );
  return new Map(entries);
}

function shortened<T extends { signal: AbortSignal }>(httpOptions: T): T {
  return {
    ...httpOptions,
    signal: AbortSignal.any([httpOptions.signal, AbortSignal.timeout(maximumRevocationWaitMs)]),
  };
}
