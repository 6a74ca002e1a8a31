// Where the gateway is, from the app's point of view: URLs of its endpoints, its origin, the credentials mode.

export interface GatewayLocation {
  /** The gateway's origin: the only origin whose `bff:login` messages and login URLs are believed. */
  readonly origin: string;
  /**
   * `same-origin` when the app runs on the gateway's origin (the usual deployment); `include` when
   * `baseUrl` names another origin, which then needs the session cookie to reach it cross-origin.
   */
  readonly credentials: RequestCredentials;
  /** `path` (starting with `/`) on the gateway, as given to fetch: relative when baseUrl is ''. */
  endpoint(path: string): string;
  /** A gateway path or absolute URL → an absolute URL (not yet checked to be the gateway's). */
  absolute(pathOrUrl: string): URL;
}

/** Provider ids are lowercase names (`graph`, `servicenow`): nothing that could change the path. */
export const providerFormat = /^[a-z][a-z0-9_-]{0,31}$/;

export function locateGateway(baseUrl: string): GatewayLocation {
  const page = globalThis.location as Location | undefined;
  const prefix = baseUrl.replace(/\/+$/, '');
  if (prefix === '' && page === undefined) {
    throw new TypeError('createClient: baseUrl is required where there is no page location');
  }
  const root = new URL(`${prefix}/`, page?.href);
  if (root.protocol !== 'https:' && root.protocol !== 'http:') {
    throw new TypeError('createClient: baseUrl must be an http(s) URL or a path');
  }
  const origin = root.origin;
  return {
    origin,
    credentials: page !== undefined && page.origin === origin ? 'same-origin' : 'include',
    endpoint: (path) => `${prefix}${path}`,
    absolute(pathOrUrl) {
      // The gateway answers root-relative paths (`/auth/login/graph`): they live under baseUrl.
      if (pathOrUrl.startsWith('/') && !pathOrUrl.startsWith('//')) {
        return new URL(`${prefix}${pathOrUrl}`, page?.href ?? root.href);
      }
      return new URL(pathOrUrl, root.href);
    },
  };
}

/** The caller's provider id, refused when it could rewrite the request path. */
export function checkProvider(provider: string): void {
  if (!providerFormat.test(provider)) {
    throw new TypeError(
      `provider must be a provider id such as "graph", got ${JSON.stringify(provider)}`,
    );
  }
}
