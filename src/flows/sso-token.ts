// Validates an Office add-in's SSO token (an Entra access token for the gateway's own API) before it is redeemed On-Behalf-Of.
import type * as jose from 'jose';
import type * as oauth from 'oauth4webapi';
import type { GatewayConfig, ProviderConfig } from '../config/types.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { SessionUser } from '../session/session-types.ts';
import type { AuthorizationServers, ResolvedProvider } from './authorization-servers.ts';
import { userFromClaims } from './callback.ts';
import { LoginFailure } from './login-failure.ts';
import { remoteKeySetOf, verifyWithKeySet, type RemoteKeySet } from './remote-key-set.ts';
import { authorizationServerForToken } from './tenant-issuer.ts';

/**
 * Entra access tokens are 1–4 KiB (more with many group claims); Node refuses heads past 16 KiB
 * with a 431 anyway, so a longer token is refused here before any parsing or key fetch.
 */
export const maximumSsoTokenLength = 12 * 1024;
/** Tolerated difference between Entra's clock and ours, for `exp` and `nbf`. */
export const ssoTokenClockToleranceSeconds = 60;
/** Entra signs access tokens with RS256 only: `none`, HMAC (keyed by a guessable secret) and others are refused. */
const signingAlgorithms = ['RS256'];
/** A GUID path segment of the configured issuer: the single tenant the gateway signs in with. */
const tenantSegmentPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ValidatedSsoToken {
  /** The token as received: the On-Behalf-Of grant's `assertion`, never logged or stored. */
  readonly assertion: string;
  readonly subject: string;
  readonly user: SessionUser;
  /** The provider's metadata with the token's issuer (Entra multi-tenant: its tenant filled in). */
  readonly authorizationServer: oauth.AuthorizationServer;
}

export interface SsoTokenValidator {
  /** Throws `invalid_sso_token` (401) for any failed check, `provider_unavailable` (503) when keys cannot be fetched. */
  validate(ssoToken: string): Promise<ValidatedSsoToken>;
}

export function invalidSsoToken(detail: string, cause?: unknown): GatewayError {
  return new GatewayError(401, 'invalid_sso_token', detail, { cause });
}

/** Built once per gateway: one remote key set per process, fetched within PROVIDER_TIMEOUT_S. */
export function createSsoTokenValidator(
  config: GatewayConfig,
  authorizationServers: AuthorizationServers,
  now: () => number,
): SsoTokenValidator {
  let keySet: RemoteKeySet | null = null;
  const keySetOf = (provider: ResolvedProvider) => (keySet ??= remoteKeySetOf(provider, config));

  return {
    async validate(ssoToken) {
      if (ssoToken.length > maximumSsoTokenLength)
        throw invalidSsoToken('the SSO token is too long');
      const provider = await authorizationServers.resolve('graph');
      const tokenServer = issuerFor(provider, ssoToken);
      const { payload } = await verifyWithKeySet(
        ssoToken,
        keySetOf(provider),
        {
          issuer: tokenServer.issuer,
          algorithms: signingAlgorithms,
          requiredClaims: ['exp', 'sub', 'tid'],
          clockTolerance: ssoTokenClockToleranceSeconds,
          currentDate: new Date(now()),
        },
        'SSO token',
        invalidSsoToken,
      );
      checkSsoClaims(provider.config, payload);
      const user = userFromClaims(payload);
      return { assertion: ssoToken, subject: user.sub, user, authorizationServer: tokenServer };
    },
  };
}

/** Entra multi-tenant: the token's tenant must be allowed, and names the issuer (tenant-issuer.ts). */
function issuerFor(provider: ResolvedProvider, ssoToken: string): oauth.AuthorizationServer {
  try {
    return authorizationServerForToken(provider.config, provider.authorizationServer, {
      id_token: ssoToken,
    });
  } catch (error) {
    const reason = error instanceof LoginFailure ? error.code : 'invalid';
    throw invalidSsoToken(`the SSO token was refused (${reason})`, error);
  }
}

/**
 * What a signature and issuer check leave open (RFC 9068 §4, Entra's access token reference):
 * - audience: the gateway's own API, as its client id (v2 tokens) or its Application ID URI
 *   `api://<host>/<client id>` (what Office's SSO token names) — a token minted for another API
 *   must not buy Graph tokens here (token substitution);
 * - `scp`: a delegated access token; an ID token or an app-only token (`roles`) has none (token confusion);
 * - `tid`: the configured tenant, when the issuer names one.
 */
function checkSsoClaims(provider: ProviderConfig, payload: jose.JWTPayload): void {
  const audience = payload.aud;
  const ownApi =
    audience === provider.clientId ||
    (typeof audience === 'string' &&
      audience.startsWith('api://') &&
      audience.endsWith(`/${provider.clientId}`));
  if (!ownApi) throw invalidSsoToken('the SSO token was issued for another audience');
  if (typeof payload.scp !== 'string' || payload.scp.trim() === '')
    throw invalidSsoToken('the SSO token is not a delegated access token');
  if (typeof payload.sub !== 'string' || payload.sub === '')
    throw invalidSsoToken('the SSO token names no subject');
  const expectedTenant = configuredTenant(provider);
  const tenant = typeof payload.tid === 'string' ? payload.tid.toLowerCase() : null;
  if (expectedTenant !== null && tenant !== expectedTenant)
    throw invalidSsoToken('the SSO token was issued in another tenant');
}

/**
 * The single tenant GRAPH_TENANT_ID names: the GUID segment of the issuer it builds
 * (`https://login.microsoftonline.com/<tenant>/v2.0`). Null when multi-tenant (the allow-list
 * decides) or when the issuer names no GUID.
 */
function configuredTenant(provider: ProviderConfig): string | null {
  const source = provider.authorizationServer;
  if (source.kind !== 'discovery' || source.allowedTenants !== null) return null;
  const segment = source.issuer.pathname.split('/').find((part) => tenantSegmentPattern.test(part));
  return segment === undefined ? null : segment.toLowerCase();
}
