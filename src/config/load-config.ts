// Parses the environment once into a frozen GatewayConfig, or throws a ConfigError naming every problem.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { environmentSchema, type Environment } from './environment-schema.ts';
import { Problems, type RequireHttps } from './problems.ts';
import { buildGraphProvider, buildServiceNowProvider } from './provider-configs.ts';
import type { GatewayConfig, ProviderConfig, ProviderId } from './types.ts';

/** Every problem found in the configuration, each naming its variable; never a secret's value. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function loadConfig(
  rawEnvironment: Readonly<Record<string, string | undefined>>,
): GatewayConfig {
  // An empty variable (common in compose files and manifests) means "unset".
  const environment: Record<string, string> = {};
  for (const [variable, value] of Object.entries(rawEnvironment)) {
    if (value !== undefined && value !== '') environment[variable] = value;
  }
  const problems = new Problems();
  const env = parseEachVariable(environment, problems);
  reportProviderVariablesWithoutClient(environment, problems);
  const config = buildConfig(env, problems);
  if (problems.list.length > 0) throw new ConfigError(problems.list);
  return config;
}

/** Stands in for a required value that failed to parse, so the cross-checks still run and report. */
const placeholders: Partial<Record<keyof Environment, unknown>> = {
  PUBLIC_URL: 'https://placeholder.invalid',
  SESSION_SECRET: ['placeholder-secret-that-is-never-used-00'],
};

/**
 * Parses every variable on its own, so one bad value never hides another problem: the operator
 * sees them all in one message (contract §1). A value that fails is reported once and replaced
 * by its default (or a placeholder) for the cross-checks; the configuration is then refused.
 */
function parseEachVariable(
  environment: Readonly<Record<string, string>>,
  problems: Problems,
): Environment {
  const values: Record<string, unknown> = {};
  for (const [variable, schema] of Object.entries(environmentSchema.shape)) {
    const parsed = schema.safeParse(environment[variable]);
    if (parsed.success) {
      values[variable] = parsed.data;
      continue;
    }
    const [issue] = parsed.error.issues;
    const missing = environment[variable] === undefined;
    problems.add(variable, missing ? 'is required' : (issue?.message ?? 'is invalid'));
    const fallback = schema.safeParse(undefined);
    values[variable] = fallback.success
      ? fallback.data
      : placeholders[variable as keyof Environment];
  }
  return values as Environment;
}

/** A provider setting without its client id is a mistake to report, not to ignore silently. */
function reportProviderVariablesWithoutClient(
  environment: Readonly<Record<string, string>>,
  problems: Problems,
): void {
  for (const prefix of ['GRAPH_', 'SERVICENOW_']) {
    const clientId = `${prefix}CLIENT_ID`;
    if (environment[clientId] !== undefined) continue;
    for (const variable of Object.keys(environmentSchema.shape)) {
      if (
        variable.startsWith(prefix) &&
        variable !== clientId &&
        environment[variable] !== undefined
      ) {
        problems.add(variable, `is set but ${clientId} is not`);
      }
    }
  }
}

function buildConfig(env: Environment, problems: Problems): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  const allowInsecureHttp = env.ALLOW_INSECURE_HTTP;
  if (allowInsecureHttp && production) {
    problems.add('ALLOW_INSECURE_HTTP', 'must not be "true" when NODE_ENV=production');
  }
  const requireHttps: RequireHttps = (variable, url) => {
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
  // Plain http is allowed: the app server is a sidecar (loopback or the pod's network) and receives
  // no token and no gateway cookie. A query would be spliced into every request path, and
  // credentials would go to the app as Basic authorization on every request.
  if (
    appUpstreamUrl !== null &&
    (appUpstreamUrl.search !== '' ||
      appUpstreamUrl.hash !== '' ||
      appUpstreamUrl.username !== '' ||
      appUpstreamUrl.password !== '')
  ) {
    problems.add('APP_UPSTREAM_URL', 'must have no query, fragment or credentials');
  }
  if (env.STATIC_DIR !== undefined && !isDirectory(env.STATIC_DIR)) {
    problems.add('STATIC_DIR', 'must name an existing directory');
  } else if (env.STATIC_DIR !== undefined && !isFile(join(env.STATIC_DIR, 'index.html'))) {
    problems.add('STATIC_DIR', 'must hold an index.html (the page served for client-side routes)');
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
    sessionCacheTtlMs: env.SESSION_CACHE_TTL_S * 1000,
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
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
