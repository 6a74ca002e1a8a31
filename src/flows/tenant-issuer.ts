// Entra multi-tenant: picks the ID token's tenant, checks it against GRAPH_ALLOWED_TENANTS, and names the issuer to validate against.
import type * as oauth from 'oauth4webapi';
import type { ProviderConfig } from '../config/types.ts';
import { LoginFailure } from './login-failure.ts';

/** What Entra multi-tenant discovery leaves in its issuer where each token names its own tenant. */
export const tenantPlaceholder = '{tenantid}';
const tenantIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Multi-tenant discovery names the issuer `…/{tenantid}/v2.0`, and each ID token the issuer of its
 * own tenant. The token's `tid` is read unverified only to choose the issuer: it must be an allowed
 * tenant, and oauth4webapi then checks `iss` equals that tenant's issuer and verifies everything
 * else, so a token whose `iss` and `tid` disagree fails validation (see providers.md).
 * Returns the metadata unchanged for a single-tenant provider.
 */
export function authorizationServerForToken(
  provider: ProviderConfig,
  metadata: oauth.AuthorizationServer,
  tokenBody: unknown,
): oauth.AuthorizationServer {
  const source = provider.authorizationServer;
  if (source.kind !== 'discovery' || source.allowedTenants === null) return metadata;
  const tenantId = unverifiedTenantId(tokenBody);
  if (tenantId === null) {
    throw new LoginFailure('invalid_id_token', 'the ID token names no tenant');
  }
  // GUIDs compare case-insensitively (the allow-list is lower-cased); the issuer keeps the token's spelling.
  if (!source.allowedTenants.includes(tenantId.toLowerCase())) {
    throw new LoginFailure(
      'tenant_not_allowed',
      'the user signed in from a tenant that is not allowed',
    );
  }
  return { ...metadata, issuer: metadata.issuer.replace(tenantPlaceholder, tenantId) };
}

/** The `tid` claim of the response's ID token as sent, or null when there is none of GUID shape. */
function unverifiedTenantId(tokenBody: unknown): string | null {
  const idToken = (tokenBody as { id_token?: unknown } | null)?.id_token;
  if (typeof idToken !== 'string') return null;
  const payload = idToken.split('.')[1];
  if (payload === undefined) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      tid?: unknown;
    };
    return typeof claims.tid === 'string' && tenantIdPattern.test(claims.tid) ? claims.tid : null;
  } catch {
    return null;
  }
}
