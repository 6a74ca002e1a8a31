// The frozen, fully validated configuration every other module receives (never process.env).

/** The providers this gateway knows. Adding one is a new entry in config and flows/providers, not new control flow. */
export type ProviderId = 'graph' | 'servicenow';
export const providerIds: readonly ProviderId[] = ['graph', 'servicenow'];

/** One `METHODS /path-glob` entry of GRAPH_ROUTES / SERVICENOW_ROUTES, compiled once. */
export interface RouteRule {
  readonly source: string;
  /** Upper-case methods, or null for `*` (any method). */
  readonly methods: ReadonlySet<string> | null;
  readonly pattern: RegExp;
}

/** How the gateway finds the provider's authorization server. */
export type AuthorizationServerSource =
  | {
      /** OpenID Connect discovery at `${issuer}/.well-known/openid-configuration`. */
      readonly kind: 'discovery';
      readonly issuer: URL;
      /**
       * Entra multi-tenant (`organizations` / `common`): the discovered issuer carries the
       * `{tenantid}` placeholder and the ID token's `tid` must be one of these. Null when single-tenant.
       */
      readonly allowedTenants: readonly string[] | null;
      /**
       * The issuer the discovery document must name: `issuer` itself, or for Entra multi-tenant
       * the same URL with the tenant segment replaced by the literal `{tenantid}` placeholder.
       */
      readonly discoveredIssuer: string;
    }
  | {
      /** Plain OAuth 2.0 with endpoints given explicitly (ServiceNow has no discovery document). */
      readonly kind: 'explicit';
      readonly issuer: URL;
      readonly authorizationEndpoint: URL;
      readonly tokenEndpoint: URL;
      readonly revocationEndpoint: URL | null;
    };

/**
 * A token-endpoint answer that means "sign in again" although its `error` code alone would not
 * say so: providers that answer outside RFC 6749 §5.2 are described here as data, not as branches.
 */
export interface RefreshRejectionAnswer {
  readonly status: number;
  readonly error: string;
  /** Matched exactly when set (ServiceNow puts its meaning in `error_description`). */
  readonly errorDescription: string | null;
  /** The same answer also comes back for wrong client credentials: log it as a possible misconfiguration. */
  readonly alsoMeansBadClientCredentials: boolean;
}

export interface ProviderConfig {
  readonly id: ProviderId;
  /** Whether the provider speaks OpenID Connect (ID token, nonce, user claims). */
  readonly openId: boolean;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: readonly string[];
  readonly authorizationServer: AuthorizationServerSource;
  /** Upstream API base: `/graph/{rest}` is forwarded to `${apiUrl}/{rest}`. */
  readonly apiUrl: URL;
  readonly routes: readonly RouteRule[];
  /**
   * Client capabilities declared in the `claims` request parameter of every authorization and
   * refresh request (`GRAPH_CLIENT_CAPABILITIES=cp1`: continuous access evaluation). Empty: none.
   */
  readonly clientCapabilities: readonly string[];
  /** Whether the API pages with OData's `@odata.nextLink` / `@odata.deltaLink` in JSON bodies (Graph). */
  readonly odataLinks: boolean;
  /** Provider-specific refresh answers that mean "sign in again" (beyond the RFC 6749 codes). */
  readonly refreshRejections: readonly RefreshRejectionAnswer[];
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface GatewayConfig {
  readonly port: number;
  readonly host: string;
  /** The origin browsers use, without a trailing slash (`https://app.example.com`). */
  readonly publicOrigin: string;
  /** True when PUBLIC_URL is https: cookies get `Secure` and the `__Host-` prefix. */
  readonly secureCookies: boolean;
  /** The first seals, all unseal (key rotation). */
  readonly sessionSecrets: readonly string[];
  /** Key material for tokens at rest; the first encrypts, all decrypt. */
  readonly tokenEncryptionKeys: readonly string[];
  readonly redisUrl: string | null;
  readonly redisKeyPrefix: string;
  readonly sessionIdleTimeoutSeconds: number;
  /** SESSION_CACHE_TTL_S in ms: how long a session read may be served from memory (Redis only; 0: never). */
  readonly sessionCacheTtlMs: number;
  readonly sessionAbsoluteTimeoutSeconds: number;
  readonly tokenRefreshSkewSeconds: number;
  readonly providerTimeoutMs: number;
  readonly upstreamTimeoutMs: number;
  readonly allowInsecureHttp: boolean;
  readonly logLevel: LogLevel;
  readonly metricsPort: number | null;
  readonly appUpstreamUrl: URL | null;
  readonly staticDir: string | null;
  readonly production: boolean;
  /** Enabled providers only, keyed by id. */
  readonly providers: ReadonlyMap<ProviderId, ProviderConfig>;
}
