// Parses the environment once into a frozen GatewayConfig, or throws a ConfigError naming every problem.
import { statSync } from 'node:fs';
import { environmentSchema, type Environment } from './environment-schema.ts';
import { parseRouteAllowList } from './route-allow-list.ts';
import type { GatewayConfig, ProviderConfig, ProviderId, RouteRule } from './types.ts';

/** Every problem found in the configuration, each naming its variable; never a secret's value. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const multiTenantValues = new Set(['organizations', 'common']);
const entraAuthority = 'https://login.microsoftonline.com';

/** Collects problems instead of stopping at the first, so an operator fixes them in one go. */
class Problems {
  readonly list: string[] = [];
  add(variable: string, message: string): void {
    this.list.push(`${variable} ${message}`);
  }
}

export function loadConfig(
  rawEnvironment: Readonly<Record<string, string | undefined>>,
): GatewayConfig {
  // An empty variable (common in compose files and manifests) means "unset".
  const environment = Object.fromEntries(
    Object.entries(rawEnvironment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? 'configuration');
        const message =
          issue.code === 'invalid_type' && issue.input === undefined
            ? 'is required'
            : issue.message;
        return `${variable} ${message}`;
      }),
    );
  }
  const problems = new Problems();
  const config = buildConfig(parsed.data, problems);
  if (problems.list.length > 0) throw new ConfigError(problems.list);
  return config;
}

function buildConfig(env: Environment, problems: Problems): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  const allowInsecureHttp = env.ALLOW_INSECURE_HTTP;
  if (allowInsecureHttp && production) {
    problems.add('ALLOW_INSECURE_HTTP', 'must not be "true" when NODE_ENV=production');
  }
  const requireHttps = (variable: string, url: URL): void => {
    if (url.protocol !== 'https:' && !allowInsecureHttp) {
      problems.add(
        variable,
        'must be an https:// URL (set ALLOW_INSECURE_HTTP=true for local development only)',
      );
    }
  };

  const publicUrl = new URL(env.PUBLIC_URL);
  requireHttps('PUBLIC_URL', publicUrl);
  if (
    publicUrl.pathname !== '/' ||
    publicUrl.search !== '' ||
    publicUrl.hash !== '' ||
    publicUrl.username !== '' ||
    publicUrl.password !== ''
  ) {
    problems.add(
      'PUBLIC_URL',
      'must be an origin only (scheme, host and port), with no path, query, fragment or credentials',
    );
  }

  if (env.REDIS_URL === undefined && production) {
    problems.add(
      'REDIS_URL',
      'is required when NODE_ENV=production (the in-memory store serves one process only)',
    );
  }
  if (env.SESSION_IDLE_TIMEOUT_S > env.SESSION_ABSOLUTE_TIMEOUT_S) {
    problems.add('SESSION_IDLE_TIMEOUT_S', 'must not exceed SESSION_ABSOLUTE_TIMEOUT_S');
  }
  if (env.METRICS_PORT !== undefined && env.METRICS_PORT === env.PORT) {
    problems.add('METRICS_PORT', 'must differ from PORT');
  }
  if (env.APP_UPSTREAM_URL !== undefined && env.STATIC_DIR !== undefined) {
    problems.add('APP_UPSTREAM_URL', 'and STATIC_DIR are exclusive: set one of them');
  }
  const appUpstreamUrl = env.APP_UPSTREAM_URL === undefined ? null : new URL(env.APP_UPSTREAM_URL);
  if (env.STATIC_DIR !== undefined && !isDirectory(env.STATIC_DIR)) {
    problems.add('STATIC_DIR', 'must name an existing directory');
  }

  const providers = new Map<ProviderId, ProviderConfig>();
  const graph = buildGraphProvider(env, problems, requireHttps);
  if (graph) providers.set('graph', graph);
  const serviceNow = buildServiceNowProvider(env, problems, requireHttps);
  if (serviceNow) providers.set('servicenow', serviceNow);
  if (providers.size === 0 && problems.list.length === 0) {
    problems.add('GRAPH_CLIENT_ID', 'or SERVICENOW_CLIENT_ID must be set: no provider is enabled');
  }

  return Object.freeze({
    port: env.PORT,
    host: env.HOST,
    publicOrigin: publicUrl.origin,
    secureCookies: publicUrl.protocol === 'https:',
    sessionSecrets: Object.freeze(env.SESSION_SECRET),
    tokenEncryptionKeys: Object.freeze(env.TOKEN_ENCRYPTION_KEY ?? []),
    redisUrl: env.REDIS_URL ?? null,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    sessionIdleTimeoutSeconds: env.SESSION_IDLE_TIMEOUT_S,
    sessionAbsoluteTimeoutSeconds: env.SESSION_ABSOLUTE_TIMEOUT_S,
    tokenRefreshSkewSeconds: env.TOKEN_REFRESH_SKEW_S,
    providerTimeoutMs: env.PROVIDER_TIMEOUT_S * 1000,
    upstreamTimeoutMs: env.UPSTREAM_TIMEOUT_S * 1000,
    allowInsecureHttp,
    logLevel: env.LOG_LEVEL,
    metricsPort: env.METRICS_PORT ?? null,
    appUpstreamUrl,
    staticDir: env.STATIC_DIR ?? null,
    production,
    providers,
  });
}

type RequireHttps = (variable: string, url: URL) => void;

function buildGraphProvider(
  env: Environment,
  problems: Problems,
  requireHttps: RequireHttps,
): ProviderConfig | null {
  if (env.GRAPH_CLIENT_ID === undefined) {
    for (const variable of [
      'GRAPH_CLIENT_SECRET',
      'GRAPH_TENANT_ID',
      'GRAPH_ISSUER',
      'GRAPH_ALLOWED_TENANTS',
    ] as const) {
      if (env[variable] !== undefined) problems.add(variable, 'is set but GRAPH_CLIENT_ID is not');
    }
    return null;
  }
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
    },
    apiUrl: withoutTrailingSlash(apiUrl),
    routes: parseRoutes('GRAPH_ROUTES', env.GRAPH_ROUTES, problems),
  });
}

function buildServiceNowProvider(
  env: Environment,
  problems: Problems,
  requireHttps: RequireHttps,
): ProviderConfig | null {
  const endpointVariables = [
    'SERVICENOW_AUTHORIZATION_URL',
    'SERVICENOW_TOKEN_URL',
    'SERVICENOW_API_URL',
  ] as const;
  if (env.SERVICENOW_CLIENT_ID === undefined) {
    for (const variable of [
      'SERVICENOW_CLIENT_SECRET',
      'SERVICENOW_INSTANCE_URL',
      ...endpointVariables,
    ] as const) {
      if (env[variable] !== undefined)
        problems.add(variable, 'is set but SERVICENOW_CLIENT_ID is not');
    }
    return null;
  }
  if (env.SERVICENOW_CLIENT_SECRET === undefined)
    problems.add('SERVICENOW_CLIENT_SECRET', 'is required when SERVICENOW_CLIENT_ID is set');
  const instance =
    env.SERVICENOW_INSTANCE_URL === undefined
      ? null
      : withoutTrailingSlash(new URL(env.SERVICENOW_INSTANCE_URL));
  if (instance) requireHttps('SERVICENOW_INSTANCE_URL', instance);
  const endpoint = (
    variable: (typeof endpointVariables)[number] | 'SERVICENOW_REVOCATION_URL',
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
  });
}

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

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
