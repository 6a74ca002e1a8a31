// Validates an OpenID Connect Back-Channel Logout 1.0 logout token: signature by the provider's JWKS, then every claim §2.6 names.
import * as jose from 'jose';
import type { GatewayConfig, ProviderId } from '../config/types.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { LogoutMatch } from '../session/session-index.ts';
import type { AuthorizationServers, ResolvedProvider } from './authorization-servers.ts';
import { remoteKeySetOf, verifyWithKeySet, type RemoteKeySet } from './remote-key-set.ts';
import { tenantPlaceholder } from './tenant-issuer.ts';

/** Back-Channel Logout 1.0 §2.4: the `events` member that makes a JWT a logout token. */
const logoutEvent = 'http://schemas.openid.net/event/backchannel-logout';
/** §2.4 recommends explicit typing (`logout+jwt`); untyped tokens and plain `JWT` are still allowed. */
const acceptedTypes = new Set(['logout+jwt', 'application/logout+jwt', 'jwt']);
/** Asymmetric algorithms only: `none` and HMAC (keyed with the client secret) are never accepted. */
const signingAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
/** Tolerated difference between the provider's clock and ours, for `iat` and `exp`. */
export const logoutTokenClockToleranceSeconds = 60;
/**
 * A logout token older than this is refused whatever its `exp` (§2.6 allows rejecting old `iat`).
 * It also bounds how long a `jti` must be remembered: an older replay fails this check anyway.
 */
export const logoutTokenMaxAgeSeconds = 600;

export interface VerifiedLogoutToken {
  readonly provider: ProviderId;
  readonly issuer: string;
  /** The `jti`: single use (the caller claims it in the store). */
  readonly tokenId: string;
  /** `sid` when present, else `sub` (§2.4: at least one is present). */
  readonly match: LogoutMatch;
  readonly subject: string | null;
}

export interface LogoutTokenVerifier {
  /** Throws `invalid_logout_token` (400) for any failed check, `provider_unavailable` (503) when the JWKS cannot be fetched. */
  verify(logoutToken: string): Promise<VerifiedLogoutToken>;
}

function invalid(detail: string, cause?: unknown): GatewayError {
  return new GatewayError(400, 'invalid_logout_token', detail, { cause });
}

export function createLogoutTokenVerifier(
  config: GatewayConfig,
  authorizationServers: AuthorizationServers,
  now: () => number,
): LogoutTokenVerifier {
  const openIdProviders = [...config.providers.values()].filter((provider) => provider.openId);
  const keySets = new Map<ProviderId, RemoteKeySet>();
  const keySetOf = (provider: ResolvedProvider) => {
    let keySet = keySets.get(provider.config.id);
    if (keySet === undefined) {
      keySet = remoteKeySetOf(provider, config);
      keySets.set(provider.config.id, keySet);
    }
    return keySet;
  };

  return {
    async verify(logoutToken) {
      const unverifiedIssuer = issuerOf(logoutToken);
      for (const providerConfig of openIdProviders) {
        const provider = await authorizationServers.resolve(providerConfig.id);
        if (!acceptedIssuers(provider).includes(unverifiedIssuer)) continue;
        const { payload, protectedHeader } = await verifyWithKeySet(
          logoutToken,
          keySetOf(provider),
          {
            issuer: unverifiedIssuer,
            audience: provider.client.client_id,
            algorithms: signingAlgorithms,
            requiredClaims: ['iat', 'exp', 'jti'],
            clockTolerance: logoutTokenClockToleranceSeconds,
            maxTokenAge: logoutTokenMaxAgeSeconds,
            currentDate: new Date(now()),
          },
          'logout token',
          invalid,
        );
        return checkLogoutClaims(providerConfig.id, unverifiedIssuer, payload, protectedHeader);
      }
      throw invalid('the logout token names no issuer this gateway signs in with');
    },
  };
}

/** The `iss` as sent, only to pick the provider whose keys then verify everything. */
function issuerOf(logoutToken: string): string {
  try {
    const { iss } = jose.decodeJwt(logoutToken);
    if (typeof iss === 'string') return iss;
  } catch (error) {
    throw invalid('the logout token is not a JWT', error);
  }
  throw invalid('the logout token has no issuer');
}

/**
 * The issuer of the provider's ID tokens. Entra multi-tenant: each allowed tenant's issuer (the
 * discovery document's `{tenantid}` placeholder filled in), as for ID tokens (see tenant-issuer.ts).
 */
function acceptedIssuers(provider: ResolvedProvider): string[] {
  const source = provider.config.authorizationServer;
  if (source.kind === 'discovery' && source.allowedTenants !== null) {
    return source.allowedTenants.map((tenant) =>
      source.discoveredIssuer.replace(tenantPlaceholder, tenant),
    );
  }
  return [provider.authorizationServer.issuer];
}

/** Back-Channel Logout 1.0 §2.6 steps 3–6, after the signature, `iss`, `aud`, `iat` and `exp` checks. */
function checkLogoutClaims(
  provider: ProviderId,
  issuer: string,
  payload: jose.JWTPayload,
  header: jose.JWTHeaderParameters,
): VerifiedLogoutToken {
  if (header.typ !== undefined && !acceptedTypes.has(header.typ.toLowerCase()))
    throw invalid('the logout token has an unexpected typ');
  const events = payload.events;
  const event =
    typeof events === 'object' && events !== null
      ? (events as Record<string, unknown>)[logoutEvent]
      : undefined;
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    throw invalid('the logout token has no back-channel logout event');
  // An ID token cannot pass as a logout token: §2.4 forbids `nonce` in a logout token.
  if ('nonce' in payload) throw invalid('the logout token carries a nonce');
  const tokenId = nonEmptyString(payload.jti);
  if (tokenId === null) throw invalid('the logout token has no jti');
  const subject = nonEmptyString(payload.sub);
  const providerSessionId = nonEmptyString(payload.sid);
  if (providerSessionId !== null)
    return { provider, issuer, tokenId, subject, match: { issuer, providerSessionId } };
  if (subject !== null) return { provider, issuer, tokenId, subject, match: { issuer, subject } };
  throw invalid('the logout token names neither sid nor sub');
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
