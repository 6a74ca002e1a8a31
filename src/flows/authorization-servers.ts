// Resolves each provider's authorization server once per process: OpenID discovery, or the explicit endpoints.
import * as oauth from 'oauth4webapi';
import type { GatewayConfig, ProviderConfig, ProviderId } from '../config/types.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';

/** Everything a flow needs to talk to one provider's authorization server. */
export interface ResolvedProvider {
  readonly config: ProviderConfig;
  readonly authorizationServer: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly clientAuthentication: oauth.ClientAuth;
  /** `${PUBLIC_URL}/auth/callback/{provider}`: one per provider, so responses cannot be mixed up (RFC 9700 §4.4). */
  readonly redirectUri: string;
  /** Options for every oauth4webapi request: the timeout bound and, only when configured, plain http. */
  httpOptions(): { signal: AbortSignal; [oauth.allowInsecureRequests]?: boolean };
  /** The signature-key cache for this issuer's JWKS (oauth4webapi `jwksCache`). */
  readonly jwksCache: oauth.JWKSCacheInput;
}

export interface AuthorizationServers {
  /** Rejects with `provider_unavailable` (503) while discovery cannot be completed; retried on the next call. */
  resolve(provider: ProviderId): Promise<ResolvedProvider>;
}

export function createAuthorizationServers(
  config: GatewayConfig,
  logger: Logger,
): AuthorizationServers {
  const resolved = new Map<ProviderId, Promise<ResolvedProvider>>();
  return {
    resolve(providerId) {
      let pending = resolved.get(providerId);
      if (pending === undefined) {
        const providerConfig = config.providers.get(providerId);
        if (providerConfig === undefined) {
          return Promise.reject(
            new GatewayError(404, 'unknown_provider', `provider "${providerId}" is not enabled`),
          );
        }
        pending = resolveProvider(config, providerConfig);
        resolved.set(providerId, pending);
        // A failed discovery is not cached: the next request tries again.
        pending.catch((error: unknown) => {
          resolved.delete(providerId);
          logger.warn(
            { provider: providerId, error: describeError(error) },
            'authorization server discovery failed',
          );
        });
      }
      return pending;
    },
  };
}

async function resolveProvider(
  config: GatewayConfig,
  provider: ProviderConfig,
): Promise<ResolvedProvider> {
  const httpOptions = () => ({
    signal: AbortSignal.timeout(config.providerTimeoutMs),
    ...(config.allowInsecureHttp ? { [oauth.allowInsecureRequests]: true } : {}),
  });
  const authorizationServer = await loadMetadata(provider, httpOptions);
  return {
    config: provider,
    authorizationServer,
    client: { client_id: provider.clientId },
    clientAuthentication: chooseClientAuthentication(provider, authorizationServer),
    redirectUri: `${config.publicOrigin}/auth/callback/${provider.id}`,
    httpOptions,
    jwksCache: {},
  };
}

async function loadMetadata(
  provider: ProviderConfig,
  httpOptions: () => { signal: AbortSignal; [oauth.allowInsecureRequests]?: boolean },
): Promise<oauth.AuthorizationServer> {
  const source = provider.authorizationServer;
  if (source.kind === 'explicit') {
    return {
      issuer: source.issuer.href,
      authorization_endpoint: source.authorizationEndpoint.href,
      token_endpoint: source.tokenEndpoint.href,
      ...(source.revocationEndpoint ? { revocation_endpoint: source.revocationEndpoint.href } : {}),
    };
  }
  try {
    const response = await oauth.discoveryRequest(source.issuer, {
      ...httpOptions(),
      algorithm: 'oidc',
    });
    // Checks that the document names exactly the expected issuer (OpenID Connect Discovery §4.3);
    // for Entra multi-tenant that is the `{tenantid}` placeholder form.
    return await oauth.processDiscoveryResponse(new URL(source.discoveredIssuer), response);
  } catch (error) {
    throw new GatewayError(
      503,
      'provider_unavailable',
      `the ${provider.id} authorization server could not be discovered`,
      {
        retryAfterSeconds: 5,
        cause: error,
      },
    );
  }
}

/**
 * The gateway is a confidential client. Client credentials in the form body where the server lists
 * `client_secret_post` (Entra does; ServiceNow reads them only there), else HTTP Basic (RFC 6749 §2.3.1).
 */
function chooseClientAuthentication(
  provider: ProviderConfig,
  metadata: oauth.AuthorizationServer,
): oauth.ClientAuth {
  const supported = metadata.token_endpoint_auth_methods_supported;
  if (
    provider.authorizationServer.kind === 'explicit' ||
    supported?.includes('client_secret_post')
  ) {
    return oauth.ClientSecretPost(provider.clientSecret);
  }
  // RFC 8414 §2: an absent list means client_secret_basic.
  if (supported === undefined || supported.includes('client_secret_basic')) {
    return oauth.ClientSecretBasic(provider.clientSecret);
  }
  throw new GatewayError(
    502,
    'provider_misconfigured',
    `the ${provider.id} authorization server supports neither client_secret_post nor client_secret_basic`,
  );
}
