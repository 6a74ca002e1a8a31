// Redeems a validated Office SSO token with Entra's On-Behalf-Of grant for the gateway's own Graph tokens.
import * as oauth from 'oauth4webapi';
import type { ProviderConfig } from '../config/types.ts';
import { GatewayError, reauthRequired } from '../errors/gateway-error.ts';
import type { ProviderTokens } from '../session/session-types.ts';
import type { ResolvedProvider } from './authorization-servers.ts';
import {
  claimsParameter,
  decodeClaimsChallenge,
  maximumEncodedClaimsLength,
} from './claims-request.ts';
import {
  classifyRefreshFailure,
  readTokenEndpointAnswer,
  RefreshFailure,
  type TokenEndpointAnswer,
} from './refresh-failure.ts';
import type { ValidatedSsoToken } from './sso-token.ts';
import { providerTokensFrom } from './token-response.ts';

/** RFC 7523 §2.1: the grant Entra's On-Behalf-Of flow uses, with `requested_token_use=on_behalf_of`. */
export const jwtBearerGrantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Entra's multi-tenant authority segments (GRAPH_TENANT_ID values) and the tenant GUID that replaces them. */
const multiTenantSegments: ReadonlySet<string> = new Set(['organizations', 'common']);
const tenantIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function capabilityClaims(config: ProviderConfig): Record<string, string> {
  const claims = claimsParameter(config.clientCapabilities, null);
  return claims === null ? {} : { claims };
}

/**
 * The On-Behalf-Of request (Microsoft identity platform, "OAuth 2.0 On-Behalf-Of flow"): the SSO
 * token as `assertion`, the configured GRAPH_SCOPES, and the gateway's client credentials, to the
 * token endpoint. One AbortSignal (PROVIDER_TIMEOUT_S) bounds the exchange. Failures are classified
 * once (refresh-failure.ts) and thrown as the contract's answers: rejected → 401 reauth (a sign-in
 * in a popup, with Entra's `claims` when it sent them), unavailable → 503, misconfigured → 502.
 */
export async function redeemOnBehalfOf(
  provider: ResolvedProvider,
  ssoToken: ValidatedSsoToken,
  now: () => number,
): Promise<ProviderTokens> {
  let answer: TokenEndpointAnswer | null = null;
  const tenantServer = tokenEndpointOfTenant(
    provider.config,
    ssoToken.authorizationServer,
    ssoToken.user.tenantId,
  );
  try {
    const response = await oauth.genericTokenEndpointRequest(
      tenantServer,
      provider.client,
      provider.clientAuthentication,
      jwtBearerGrantType,
      {
        assertion: ssoToken.assertion,
        requested_token_use: 'on_behalf_of',
        scope: provider.config.scopes.join(' '),
        // GRAPH_CLIENT_CAPABILITIES (cp1): declared here too, or the tokens would not carry them.
        ...capabilityClaims(provider.config),
      },
      provider.httpOptions(),
    );
    answer = await readTokenEndpointAnswer(response);
    // An ID token in the answer (Entra sends none for On-Behalf-Of) is checked against the SSO token's issuer.
    const result = await oauth.processGenericTokenEndpointResponse(
      tenantServer,
      provider.client,
      response,
    );
    const idTokenSubject = oauth.getValidatedIdTokenClaims(result)?.sub;
    if (idTokenSubject !== undefined && idTokenSubject !== ssoToken.subject)
      throw new RefreshFailure('rejected', 'the On-Behalf-Of ID token names another subject');
    return providerTokensFrom(
      result,
      { refreshToken: null, scopes: provider.config.scopes, subject: ssoToken.subject },
      now(),
    );
  } catch (error) {
    throw onBehalfOfError(classifyRefreshFailure(provider.config, error, answer), answer);
  }
}

/**
 * On-Behalf-Of goes to the tenant-specific token endpoint (providers.md). Entra multi-tenant: the
 * `organizations` / `common` segment becomes the SSO token's own tenant (its `tid`, already checked
 * against GRAPH_ALLOWED_TENANTS), as MSAL does, so a guest's grant is not redeemed in its home tenant.
 */
export function tokenEndpointOfTenant(
  provider: ProviderConfig,
  metadata: oauth.AuthorizationServer,
  tenantId: string | null,
): oauth.AuthorizationServer {
  const source = provider.authorizationServer;
  const tokenEndpoint = metadata.token_endpoint;
  if (source.kind !== 'discovery' || source.allowedTenants === null) return metadata;
  if (tokenEndpoint === undefined || tenantId === null || !tenantIdPattern.test(tenantId))
    return metadata;
  const url = new URL(tokenEndpoint);
  url.pathname = url.pathname
    .split('/')
    .map((segment) => (multiTenantSegments.has(segment.toLowerCase()) ? tenantId : segment))
    .join('/');
  return { ...metadata, token_endpoint: url.href };
}

/** The contract's answer to a failed On-Behalf-Of redemption; the classified failure stays its cause. */
function onBehalfOfError(
  failure: RefreshFailure,
  answer: TokenEndpointAnswer | null,
): GatewayError {
  if (failure.kind === 'unavailable') {
    return new GatewayError(
      503,
      'provider_unavailable',
      'the graph token endpoint is unavailable',
      {
        retryAfterSeconds: failure.retryAfterSeconds,
        cause: failure,
      },
    );
  }
  if (failure.kind === 'misconfigured') {
    return new GatewayError(
      502,
      'provider_misconfigured',
      "the graph authorization server refused the gateway's On-Behalf-Of request",
      { cause: failure },
    );
  }
  // interaction_required, consent_required (AADSTS65001), invalid_grant (MFA, expired assertion):
  // only an interactive sign-in helps, in a popup since the add-in cannot navigate away.
  const encoded = encodedClaimsChallenge(answer?.body);
  const popupLogin = '/auth/login/graph?mode=popup';
  if (encoded !== null) {
    return reauthRequired('graph', 'claims_challenge', 'Entra asks for an interactive sign-in', {
      loginUrl: `${popupLogin}&claims=${encodeURIComponent(encoded)}`,
      cause: failure,
    });
  }
  return reauthRequired('graph', 'not_connected', 'Entra asks for an interactive sign-in', {
    loginUrl: popupLogin,
    cause: failure,
  });
}

/**
 * Entra's `claims` member (a JSON object as a string: OpenID Connect Core §5.5) that the sign-in
 * must carry to satisfy Conditional Access or MFA, base64-encoded for the login URL. Hostile until
 * checked: null unless the login endpoint takes it (the same decodeClaimsChallenge, bound included),
 * so the add-in is never handed a login_url that answers 400.
 */
function encodedClaimsChallenge(body: unknown): string | null {
  const claims = (body as { claims?: unknown } | null)?.claims;
  // Base64 is longer than its input: a longer string cannot be within the bound once encoded.
  if (
    typeof claims !== 'string' ||
    claims.length === 0 ||
    claims.length > maximumEncodedClaimsLength
  )
    return null;
  const encoded = Buffer.from(claims, 'utf8').toString('base64');
  return decodeClaimsChallenge(encoded) === null ? null : encoded;
}
