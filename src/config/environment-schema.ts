// The zod schema of every environment variable of contract §2: one rule per variable.
import { z } from 'zod';

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** The entries of a comma-separated list, trimmed; empty entries dropped. */
function commaSeparated(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** A comma-separated list of secrets; zod never echoes the value, so no secret reaches a message. */
const secretList = z
  .string()
  .transform(commaSeparated)
  .pipe(
    z
      .array(z.string().min(32, 'every entry must be at least 32 characters'))
      .min(1, 'must hold at least one secret of at least 32 characters'),
  );

const booleanFlag = z
  .enum(['true', 'false'], 'must be "true" or "false"')
  .transform((v) => v === 'true');

const absoluteUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const spaceSeparated = z
  .string()
  .transform((text) => text.split(/\s+/).filter((item) => item !== ''))
  .pipe(z.array(z.string()).min(1, 'must name at least one scope'));

/**
 * Tenant: a GUID, or `organizations` / `common` (multi-tenant). Not a verified domain: Entra's
 * discovery for a domain publishes the GUID issuer, so the issuer check could never pass.
 */
const tenant = z
  .string()
  .regex(
    /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|organizations|common)$/i,
    'must be a tenant GUID, "organizations" or "common"',
  );

const tenantList = z
  .string()
  .transform((text) => commaSeparated(text).map((item) => item.toLowerCase()))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(
            /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
            'every entry must be a tenant GUID',
          ),
      )
      .min(1, 'must list at least one tenant GUID'),
  );

/**
 * Client capabilities the gateway declares to Entra (`cp1`: it handles claims challenges, so Graph
 * may send continuous-access-evaluation challenges and issue long-lived CAE tokens). Comma-separated.
 */
const capabilityList = z
  .string()
  .transform(commaSeparated)
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,32}$/, 'every entry must be a capability name such as cp1'),
      )
      .min(1, 'must name at least one capability (cp1)'),
  );

/** SESSION_CACHE_TTL_S when unset: session reads served from memory for at most 2 s (docs/SECURITY.md §4.4). */
export const defaultSessionCacheTtlSeconds = 2;

export const environmentSchema = z.object({
  PORT: integer(0, 65535).default(8080),
  HOST: nonEmpty.default('0.0.0.0'),
  PUBLIC_URL: absoluteUrl,
  SESSION_SECRET: secretList,
  TOKEN_ENCRYPTION_KEY: secretList.optional(),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
    .optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(
      /^[A-Za-z0-9:_.-]{1,64}$/,
      'must be 1 to 64 characters of letters, digits, ":", "_", "." or "-"',
    )
    .default('bff:'),
  SESSION_IDLE_TIMEOUT_S: integer(60, 31_536_000).default(28_800),
  SESSION_ABSOLUTE_TIMEOUT_S: integer(60, 31_536_000).default(86_400),
  // At most a few seconds (issue 7): the longest a replica may serve a session whose change it did
  // not hear of (docs/SECURITY.md §4.4). 0 turns the cache off.
  SESSION_CACHE_TTL_S: integer(0, 5).default(defaultSessionCacheTtlSeconds),
  TOKEN_REFRESH_SKEW_S: integer(0, 3_600).default(60),
  PROVIDER_TIMEOUT_S: integer(1, 120).default(10),
  UPSTREAM_TIMEOUT_S: integer(1, 3_600).default(60),
  ALLOW_INSECURE_HTTP: booleanFlag.default(false),
  LOG_LEVEL: z
    .enum(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      'must be one of fatal, error, warn, info, debug, trace, silent',
    )
    .default('info'),
  METRICS_PORT: integer(1, 65535).optional(),
  APP_UPSTREAM_URL: absoluteUrl.optional(),
  STATIC_DIR: nonEmpty.optional(),
  NODE_ENV: z.string().optional(),

  GRAPH_CLIENT_ID: nonEmpty.optional(),
  GRAPH_CLIENT_SECRET: nonEmpty.optional(),
  GRAPH_TENANT_ID: tenant.optional(),
  GRAPH_ALLOWED_TENANTS: tenantList.optional(),
  GRAPH_ISSUER: absoluteUrl.optional(),
  GRAPH_SCOPES: spaceSeparated.default([
    'openid',
    'profile',
    'email',
    'offline_access',
    'User.Read',
  ]),
  GRAPH_API_URL: absoluteUrl.default('https://graph.microsoft.com'),
  GRAPH_ROUTES: z.string().optional(),
  GRAPH_CLIENT_CAPABILITIES: capabilityList.optional(),

  SERVICENOW_CLIENT_ID: nonEmpty.optional(),
  SERVICENOW_CLIENT_SECRET: nonEmpty.optional(),
  SERVICENOW_INSTANCE_URL: absoluteUrl.optional(),
  SERVICENOW_AUTHORIZATION_URL: absoluteUrl.optional(),
  SERVICENOW_TOKEN_URL: absoluteUrl.optional(),
  SERVICENOW_REVOCATION_URL: absoluteUrl.optional(),
  SERVICENOW_API_URL: absoluteUrl.optional(),
  SERVICENOW_SCOPES: spaceSeparated.default(['useraccount']),
  SERVICENOW_ROUTES: z.string().optional(),
});

export type Environment = z.output<typeof environmentSchema>;

/** Variables whose values are secret: a problem message names them, never their value. */
export const secretVariables: ReadonlySet<string> = new Set([
  'SESSION_SECRET',
  'TOKEN_ENCRYPTION_KEY',
  'GRAPH_CLIENT_SECRET',
  'SERVICENOW_CLIENT_SECRET',
  'REDIS_URL',
]);
