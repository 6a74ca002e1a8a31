// An OpenID provider's signing keys fetched from its jwks_uri (jose), and a verification that tells a key-set outage from a bad token.
import * as jose from 'jose';
import type { GatewayConfig } from '../config/types.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ResolvedProvider } from './authorization-servers.ts';

export type RemoteKeySet = ReturnType<typeof jose.createRemoteJWKSet>;

/**
 * The provider's published key set, fetched within PROVIDER_TIMEOUT_S and cached by jose; https
 * only unless ALLOW_INSECURE_HTTP. A provider without a usable `jwks_uri` is misconfigured (502).
 */
export function remoteKeySetOf(provider: ResolvedProvider, config: GatewayConfig): RemoteKeySet {
  const jwksUri = provider.authorizationServer.jwks_uri;
  const url = jwksUri !== undefined && URL.canParse(jwksUri) ? new URL(jwksUri) : null;
  if (
    url === null ||
    !(url.protocol === 'https:' || (config.allowInsecureHttp && url.protocol === 'http:'))
  ) {
    throw new GatewayError(
      502,
      'provider_misconfigured',
      `the ${provider.config.id} authorization server publishes no usable jwks_uri`,
    );
  }
  return jose.createRemoteJWKSet(url, { timeoutDuration: config.providerTimeoutMs });
}

/**
 * jose's verification of `token` (`what` names it in messages: "logout token", "SSO token"). Keys
 * that cannot be fetched are an outage — 503, nothing was judged; any other failure is the token's,
 * thrown as `invalid(message, cause)`.
 */
export async function verifyWithKeySet(
  token: string,
  keySet: RemoteKeySet,
  options: jose.JWTVerifyOptions,
  what: string,
  invalid: (message: string, cause: unknown) => GatewayError,
): Promise<jose.JWTVerifyResult> {
  try {
    return await jose.jwtVerify(token, keySet, options);
  } catch (error) {
    if (isKeySetOutage(error)) {
      throw new GatewayError(
        503,
        'provider_unavailable',
        `the signing keys of the ${what} could not be fetched`,
        { retryAfterSeconds: 5, cause: error },
      );
    }
    throw invalid(`the ${what} failed signature or claim validation`, error);
  }
}

/** No answer, a timeout, or a JWKS response that is not 200 JSON (jose's generic error): nothing was judged. */
function isKeySetOutage(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof jose.errors.JWKSTimeout ||
    (error instanceof jose.errors.JOSEError && error.code === jose.errors.JOSEError.code)
  );
}
