// Completes a login: checks the authorization response, redeems the code with the PKCE verifier, validates the ID token.
import * as oauth from 'oauth4webapi';
import type { PendingLogin } from '../session/pending-logins.ts';
import type { ProviderTokens, SessionUser } from '../session/session-types.ts';
import type { ResolvedProvider } from './authorization-servers.ts';
import { LoginFailure } from './login-failure.ts';
import { isKeySetOutage, isUnreachable } from './provider-reachability.ts';
import { authorizationServerForToken } from './tenant-issuer.ts';
import { providerTokensFrom } from './token-response.ts';

export interface CompletedLogin {
  readonly tokens: ProviderTokens;
  readonly user: SessionUser | null;
}

/** The provider's error code goes into a URL and a postMessage: only RFC 6749 §4.1.2.1's shape passes. */
const errorCodePattern = /^[a-z0-9_]{1,64}$/;
const idTokenCodes = new Set<string>([
  oauth.JWT_TIMESTAMP_CHECK,
  oauth.JWT_CLAIM_COMPARISON,
  oauth.KEY_SELECTION,
  oauth.PARSE_ERROR,
]);

export async function completeLogin(
  provider: ResolvedProvider,
  pending: PendingLogin,
  callbackParameters: URLSearchParams,
  state: string,
  now: number,
): Promise<CompletedLogin> {
  const { authorizationServer: as, client } = provider;
  let parameters: URLSearchParams;
  try {
    // Checks `state`, the `error` parameter and, where advertised, the RFC 9207 `iss` parameter (mix-up defence).
    parameters = oauth.validateAuthResponse(as, client, callbackParameters, state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      const code = errorCodePattern.test(error.error) ? error.error : 'authorization_failed';
      throw new LoginFailure(code, 'the authorization server refused the login', { cause: error });
    }
    throw new LoginFailure('invalid_response', 'the authorization response is invalid', {
      cause: error,
    });
  }

  if (!parameters.get('code')) {
    throw new LoginFailure('invalid_response', 'the authorization response carries no code');
  }

  let response: Response;
  try {
    response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      provider.clientAuthentication,
      parameters,
      provider.redirectUri,
      pending.codeVerifier,
      provider.httpOptions(),
    );
  } catch (error) {
    // Only a failure to reach the server is worth retrying; anything else is a malformed callback.
    const code = isUnreachable(error) ? 'provider_unavailable' : 'invalid_response';
    throw new LoginFailure(code, 'the code could not be redeemed', { cause: error });
  }
  if (response.status >= 500 || response.status === 429) {
    throw new LoginFailure(
      'provider_unavailable',
      `the token endpoint answered ${response.status}`,
    );
  }

  // Read before processing consumes the body: it tells an ID token problem from a refused exchange.
  const tokenBody: unknown = await response
    .clone()
    .json()
    .catch(() => null);
  // Entra multi-tenant: the ID token is validated against its own tenant's issuer, if allowed.
  const tokenServer =
    response.status === 200 && provider.config.openId
      ? authorizationServerForToken(provider.config, as, tokenBody)
      : as;
  let result: oauth.TokenEndpointResponse;
  try {
    result = await oauth.processAuthorizationCodeResponse(tokenServer, client, response, {
      expectedNonce: pending.nonce ?? oauth.expectNoNonce,
      requireIdToken: provider.config.openId,
    });
  } catch (error) {
    throw new LoginFailure(
      classifyExchangeFailure(provider, response, tokenBody, error),
      'the code exchange failed',
      {
        cause: error,
      },
    );
  }

  const user = provider.config.openId
    ? await validatedUser(provider, tokenServer, response, result)
    : null;
  if (provider.config.openId && user === null)
    throw new LoginFailure('invalid_id_token', 'the token response has no valid ID token');
  if (user !== null) checkTenant(provider, user);
  return {
    tokens: providerTokensFrom(
      result,
      { refreshToken: null, scopes: provider.config.scopes, subject: user?.sub ?? null },
      now,
    ),
    user,
  };
}

/** Verifies the ID token's signature against the issuer's JWKS; the claims were checked by oauth4webapi. */
async function validatedUser(
  provider: ResolvedProvider,
  tokenServer: oauth.AuthorizationServer,
  response: Response,
  result: oauth.TokenEndpointResponse,
): Promise<SessionUser | null> {
  const claims = oauth.getValidatedIdTokenClaims(result);
  if (claims === undefined) return null;
  try {
    await oauth.validateApplicationLevelSignature(tokenServer, response, {
      ...provider.httpOptions(),
      [oauth.jwksCache]: provider.jwksCache,
    });
  } catch (error) {
    throw new LoginFailure(
      isKeySetOutage(error) ? 'provider_unavailable' : 'invalid_id_token',
      'the ID token signature could not be verified',
      {
        cause: error,
      },
    );
  }
  return userFromClaims(claims);
}

/**
 * An OAuth error body (RFC 6749 §5.2) or challenge means the server refused the code. A 200 answer
 * whose token part is sound but fails processing can only fail on its ID token (OpenID Connect
 * Core §3.1.3.7): missing, unsigned (`alg: none`), or with bad claims.
 */
function classifyExchangeFailure(
  provider: ResolvedProvider,
  response: Response,
  tokenBody: unknown,
  error: unknown,
): string {
  if (
    error instanceof oauth.ResponseBodyError ||
    error instanceof oauth.WWWAuthenticateChallengeError
  )
    return 'exchange_failed';
  const code = (error as { code?: unknown }).code;
  if (provider.config.openId && typeof code === 'string' && idTokenCodes.has(code))
    return 'invalid_id_token';
  const tokenPartSound =
    response.status === 200 &&
    typeof tokenBody === 'object' &&
    tokenBody !== null &&
    typeof (tokenBody as { access_token?: unknown }).access_token === 'string';
  return provider.config.openId && tokenPartSound ? 'invalid_id_token' : 'exchange_failed';
}

function checkTenant(provider: ResolvedProvider, user: SessionUser): void {
  const source = provider.config.authorizationServer;
  if (source.kind !== 'discovery' || source.allowedTenants === null) return;
  if (user.tenantId === null || !source.allowedTenants.includes(user.tenantId.toLowerCase())) {
    throw new LoginFailure(
      'tenant_not_allowed',
      'the user signed in from a tenant that is not allowed',
    );
  }
}

function claimString(claims: Record<string, unknown>, name: string): string | null {
  const value = claims[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The user of a validated ID token (OpenID Connect Core §2), from oauth4webapi's checked claims. */
export function userFromClaims(claims: Record<string, unknown>): SessionUser {
  return {
    sub: String(claims.sub),
    name: claimString(claims, 'name'),
    email: claimString(claims, 'email') ?? claimString(claims, 'preferred_username'),
    loginHint: claimString(claims, 'login_hint'),
    tenantId: claimString(claims, 'tid'),
    issuer: claimString(claims, 'iss'),
    providerSessionId: claimString(claims, 'sid'),
  };
}
