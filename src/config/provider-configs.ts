// Builds each provider's configuration from its variables: Graph (OpenID discovery) and ServiceNow (explicit endpoints).
import type { Environment } from './environment-schema.ts';
import type { Problems, RequireHttps } from './problems.ts';
import { parseRouteAllowList } from './route-allow-list.ts';
import type { ProviderConfig, RefreshRejectionAnswer, RouteRule } from './types.ts';

const multiTenantValues = new Set(['organizations', 'common']);
const entraAuthority = 'https://login.microsoftonline.com';

export function buildGraphProvider(
  env: Environment,
  problems: Problems,
  requireHttps: RequireHttps,
): ProviderConfig | null {
  if (env.GRAPH_CLIENT_ID === undefined) return null;
  if (env.GRAPH_CLIENT_SECRET === undefined)
    problems.add('GRAPH_CLIENT_SECRET', 'is required when GRAPH_CLIENT_ID is set');
  if (env.GRAPH_TENANT_ID === undefined && env.GRAPH_ISSUER === undefined) {
    problems.add(
      'GRAPH_TENANT_ID',
      'is required when GRAPH_CLIENT_ID is set (or set GRAPH_ISSUER)',
    );
  }
  const multiTenant =
    env.GRAPH_TENANT_ID !== undefined && multiTenantValues.has(env.GRAPH_TENANT_ID.toLowerCase());
  if (multiTenant && env.GRAPH_ALLOWED_TENANTS === undefined) {
    problems.add(
      'GRAPH_ALLOWED_TENANTS',
      `is required when GRAPH_TENANT_ID is "${env.GRAPH_TENANT_ID}" (multi-tenant)`,
    );
  }
  if (!multiTenant && env.GRAPH_ALLOWED_TENANTS !== undefined) {
    problems.add(
      'GRAPH_ALLOWED_TENANTS',
      'applies only when GRAPH_TENANT_ID is "organizations" or "common"',
    );
  }
  const issuer = new URL(
    env.GRAPH_ISSUER ?? `${entraAuthority}/${env.GRAPH_TENANT_ID ?? 'invalid'}/v2.0`,
  );
  requireHttps('GRAPH_ISSUER', issuer);
  const discoveredIssuer = multiTenant
    ? placeholderIssuer(issuer, env.GRAPH_TENANT_ID ?? '')
    : issuer.href;
  if (discoveredIssuer === null) {
    problems.add(
      'GRAPH_ISSUER',
      `must contain the "/${env.GRAPH_TENANT_ID ?? ''}/" path segment when multi-tenant`,
    );
  }
  const apiUrl = new URL(env.GRAPH_API_URL);
  requireHttps('GRAPH_API_URL', apiUrl);
  return Object.freeze({
    id: 'graph',
    openId: true,
    clientId: env.GRAPH_CLIENT_ID,
    clientSecret: env.GRAPH_CLIENT_SECRET ?? '',
    scopes: Object.freeze(env.GRAPH_SCOPES),
    authorizationServer: {
      kind: 'discovery' as const,
      issuer,
      allowedTenants: multiTenant ? (env.GRAPH_ALLOWED_TENANTS ?? []) : null,
      discoveredIssuer: discoveredIssuer ?? issuer.href,
    },
    apiUrl: withoutTrailingSlash(apiUrl),
    routes: parseRoutes('GRAPH_ROUTES', env.GRAPH_ROUTES, problems),
    clientCapabilities: Object.freeze(env.GRAPH_CLIENT_CAPABILITIES ?? []),
    odataLinks: true,
    // Entra answers with RFC 6749 codes plus `suberror`: the generic classification covers it.
    refreshRejections: Object.freeze([]),
  });
}

/**
 * Entra multi-tenant discovery publishes `…/{tenantid}/v2.0` (the placeholder left in) for an
 * issuer configured as `…/organizations/v2.0`: the tenant segment becomes the placeholder.
 */
function placeholderIssuer(issuer: URL, tenant: string): string | null {
  const segments = issuer.pathname.split('/');
  const index = segments.findIndex((segment) => segment.toLowerCase() === tenant.toLowerCase());
  if (tenant === '' || index < 0) return null;
  segments[index] = '{tenantid}';
  return `${issuer.origin}${segments.join('/')}`;
}

export function buildServiceNowProvider(
  env: Environment,
  problems: Problems,
  requireHttps: RequireHttps,
): ProviderConfig | null {
  if (env.SERVICENOW_CLIENT_ID === undefined) return null;
  if (env.SERVICENOW_CLIENT_SECRET === undefined)
    problems.add('SERVICENOW_CLIENT_SECRET', 'is required when SERVICENOW_CLIENT_ID is set');
  const instance =
    env.SERVICENOW_INSTANCE_URL === undefined
      ? null
      : withoutTrailingSlash(new URL(env.SERVICENOW_INSTANCE_URL));
  if (instance) requireHttps('SERVICENOW_INSTANCE_URL', instance);
  const endpoint = (
    variable:
      | 'SERVICENOW_AUTHORIZATION_URL'
      | 'SERVICENOW_TOKEN_URL'
      | 'SERVICENOW_API_URL'
      | 'SERVICENOW_REVOCATION_URL',
    path: string,
  ): URL | null => {
    const explicit = env[variable];
    if (explicit !== undefined) {
      const url = new URL(explicit);
      requireHttps(variable, url);
      return url;
    }
    return instance
      ? new URL(`${instance.origin}${instance.pathname.replace(/\/$/, '')}${path}`)
      : null;
  };
  const authorizationEndpoint = endpoint('SERVICENOW_AUTHORIZATION_URL', '/oauth_auth.do');
  const tokenEndpoint = endpoint('SERVICENOW_TOKEN_URL', '/oauth_token.do');
  const apiUrl = endpoint('SERVICENOW_API_URL', '');
  const revocationEndpoint = endpoint('SERVICENOW_REVOCATION_URL', '/oauth_revoke_token.do');
  if (!instance) {
    for (const [variable, url] of [
      ['SERVICENOW_AUTHORIZATION_URL', authorizationEndpoint],
      ['SERVICENOW_TOKEN_URL', tokenEndpoint],
      ['SERVICENOW_API_URL', apiUrl],
    ] as const) {
      if (url === null)
        problems.add(variable, 'is required when SERVICENOW_INSTANCE_URL is not set');
    }
  }
  if (!authorizationEndpoint || !tokenEndpoint || !apiUrl) return null;
  return Object.freeze({
    id: 'servicenow',
    openId: false,
    clientId: env.SERVICENOW_CLIENT_ID,
    clientSecret: env.SERVICENOW_CLIENT_SECRET ?? '',
    scopes: Object.freeze(env.SERVICENOW_SCOPES),
    authorizationServer: {
      kind: 'explicit' as const,
      issuer: instance ?? new URL(tokenEndpoint.origin),
      authorizationEndpoint,
      tokenEndpoint,
      revocationEndpoint,
    },
    apiUrl: withoutTrailingSlash(apiUrl),
    routes: parseRoutes('SERVICENOW_ROUTES', env.SERVICENOW_ROUTES, problems),
    // ServiceNow has no claims request parameter.
    clientCapabilities: Object.freeze([]),
    // ServiceNow pages with `Link` headers (rewritten for every provider), not OData members.
    odataLinks: false,
    refreshRejections: serviceNowRefreshRejections,
  });
}

/**
 * ServiceNow answers a dead, expired or revoked refresh token with HTTP 401
 * `{"error":"server_error","error_description":"access_denied"}` — and the same for a wrong client
 * secret (see providers.md), so it means "sign in again", logged as a possible misconfiguration.
 */
const serviceNowRefreshRejections: readonly RefreshRejectionAnswer[] = Object.freeze([
  Object.freeze({
    status: 401,
    error: 'server_error',
    errorDescription: 'access_denied',
    alsoMeansBadClientCredentials: true,
  }),
]);

function parseRoutes(
  variable: string,
  text: string | undefined,
  problems: Problems,
): readonly RouteRule[] {
  try {
    return Object.freeze(parseRouteAllowList(text ?? '* /**'));
  } catch (error) {
    problems.add(variable, (error as Error).message);
    return [];
  }
}

/** `https://x/base/` and `https://x/base` name the same upstream base; keep one form. */
function withoutTrailingSlash(url: URL): URL {
  if (url.pathname.endsWith('/') && url.pathname !== '/')
    url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}
