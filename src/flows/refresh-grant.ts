// Redeems a refresh token (RFC 6749 §6) with oauth4webapi and validates what comes back, ID token included.
import * as oauth from 'oauth4webapi';
import type { ProviderTokens } from '../session/session-types.ts';
import type { ResolvedProvider } from './authorization-servers.ts';
import { claimsParameter } from './claims-request.ts';
import { LoginFailure } from './login-failure.ts';
import { isKeySetOutage } from './provider-reachability.ts';
import {
  classifyRefreshFailure,
  readTokenEndpointAnswer,
  RefreshFailure,
  type TokenEndpointAnswer,
} from './refresh-failure.ts';
import { authorizationServerForToken } from './tenant-issuer.ts';
import { providerTokensFrom } from './token-response.ts';

/**
 * Returns the provider's new tokens. The refresh token is replaced only when the server rotated it
 * (Entra always does; ServiceNow never does, and omits it or repeats it). Throws a classified
 * RefreshFailure. One AbortSignal bounds the whole exchange, JWKS fetch included (PROVIDER_TIMEOUT_S).
 */
export async function redeemRefreshToken(
  provider: ResolvedProvider,
  tokens: ProviderTokens,
  now: () => number,
): Promise<ProviderTokens> {
  if (tokens.refreshToken === null) {
    throw new RefreshFailure('rejected', `no ${provider.config.id} refresh token was issued`);
  }
  const httpOptions = provider.httpOptions();
  let answer: TokenEndpointAnswer | null = null;
  try {
    const response = await oauth.refreshTokenGrantRequest(
      provider.authorizationServer,
      provider.client,
      provider.clientAuthentication,
      tokens.refreshToken,
      // The scopes are those of the grant: the server keeps them (RFC 6749 §6). The declared
      // client capabilities go with every refresh too, or Entra issues a token without them.
      { ...httpOptions, additionalParameters: refreshParameters(provider) },
    );
    answer = await readTokenEndpointAnswer(response);
    const tokenServer = serverForIdToken(provider, answer);
    const result = await oauth.processRefreshTokenResponse(tokenServer, provider.client, response);
    await checkIdToken(provider, tokenServer, response, result, tokens, httpOptions);
    return providerTokensFrom(result, tokens, now());
  } catch (error) {
    throw classifyRefreshFailure(provider.config, error, answer);
  }
}

/** `claims` carrying the client capabilities (GRAPH_CLIENT_CAPABILITIES), when declared. */
function refreshParameters(provider: ResolvedProvider): Record<string, string> {
  const claims = claimsParameter(provider.config.clientCapabilities, null);
  return claims === null ? {} : { claims };
}

/** Entra multi-tenant: a refresh's ID token names its own tenant's issuer, checked against the allow-list. */
function serverForIdToken(
  provider: ResolvedProvider,
  answer: TokenEndpointAnswer,
): oauth.AuthorizationServer {
  const idToken = (answer.body as { id_token?: unknown } | null)?.id_token;
  if (answer.status !== 200 || !provider.config.openId || typeof idToken !== 'string')
    return provider.authorizationServer;
  try {
    return authorizationServerForToken(provider.config, provider.authorizationServer, answer.body);
  } catch (error) {
    const reason = error instanceof LoginFailure ? error.code : 'invalid_id_token';
    throw new RefreshFailure('rejected', `the refreshed ID token was refused (${reason})`, {
      cause: error,
    });
  }
}

/**
 * OpenID Connect Core §12.2: an ID token returned by a refresh must name the same subject and be
 * validly signed. A refresh answer with a forged or foreign ID token ends that connection.
 */
async function checkIdToken(
  provider: ResolvedProvider,
  tokenServer: oauth.AuthorizationServer,
  response: Response,
  result: oauth.TokenEndpointResponse,
  previous: ProviderTokens,
  httpOptions: ReturnType<ResolvedProvider['httpOptions']>,
): Promise<void> {
  const claims = oauth.getValidatedIdTokenClaims(result);
  if (claims === undefined) return;
  if (previous.subject !== null && claims.sub !== previous.subject) {
    throw new RefreshFailure('rejected', 'the refreshed ID token names another subject');
  }
  try {
    await oauth.validateApplicationLevelSignature(tokenServer, response, {
      ...httpOptions,
      [oauth.jwksCache]: provider.jwksCache,
    });
  } catch (error) {
    // A JWKS that cannot be fetched is an outage; a signature that does not verify is a forgery.
    throw new RefreshFailure(
      isKeySetOutage(error) ? 'unavailable' : 'rejected',
      'the refreshed ID token signature could not be verified',
      { cause: error },
    );
  }
}
