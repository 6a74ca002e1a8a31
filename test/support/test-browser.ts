// A cookie-jar HTTP client over Node's fetch that treats redirects and cookies the way a browser does.

/** The most redirects a browser follows before giving up (Chrome and Firefox both stop at 20). */
const maximumRedirects = 20;

interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
  /** Milliseconds since the epoch; Infinity for a session cookie. */
  readonly expiresAt: number;
}

export interface TestBrowserFetchInit extends RequestInit {
  /** Follow 3xx responses (at most 20) like a browser; off by default so tests see each hop. */
  follow?: boolean;
}

/**
 * The default cookie path of RFC 6265 §5.1.4: the request path up to, not including, its last `/`.
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-5.1.4
 */
function defaultPath(url: URL): string {
  const lastSlash = url.pathname.lastIndexOf('/');
  return lastSlash <= 0 ? '/' : url.pathname.slice(0, lastSlash);
}

/** Path-match of RFC 6265 §5.1.4: `/a` matches `/a`, `/a/` and `/a/b`, not `/ab`. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}

/** Parses one Set-Cookie line; Domain is ignored (the jar is keyed by host), Secure is not enforced. */
function parseSetCookie(line: string, requestUrl: URL, now: number): StoredCookie | undefined {
  const [pair = '', ...attributes] = line.split(';');
  const equals = pair.indexOf('=');
  if (equals <= 0) return undefined;
  const name = pair.slice(0, equals).trim();
  const value = pair.slice(equals + 1).trim();
  let path = defaultPath(requestUrl);
  let expiresAt = Infinity;
  let maxAgeSeen = false;
  for (const attribute of attributes) {
    const separator = attribute.indexOf('=');
    const key = (separator === -1 ? attribute : attribute.slice(0, separator)).trim().toLowerCase();
    const argument = separator === -1 ? '' : attribute.slice(separator + 1).trim();
    if (key === 'path' && argument.startsWith('/')) path = argument;
    // Max-Age wins over Expires whatever their order (RFC 6265 §5.3 step 3).
    if (key === 'max-age' && /^-?\d+$/.test(argument)) {
      maxAgeSeen = true;
      expiresAt = now + Number(argument) * 1000;
    }
    if (key === 'expires' && !maxAgeSeen) {
      const parsed = Date.parse(argument);
      if (!Number.isNaN(parsed)) expiresAt = parsed;
    }
  }
  return { name, value, path, expiresAt };
}

export class TestBrowser {
  /** host → `${name} ${path}` → cookie: like browsers, cookies are not isolated by port. */
  readonly #jar = new Map<string, Map<string, StoredCookie>>();
  /** host → name → the last Set-Cookie line received (deletions included), for attribute checks. */
  readonly #lastSetCookieLines = new Map<string, Map<string, string>>();

  /** Sends the jar's cookies, stores every Set-Cookie, and follows 3xx only when `follow` is true. */
  async fetch(url: string | URL, init: TestBrowserFetchInit = {}): Promise<Response> {
    const { follow = false, ...requestInit } = init;
    let currentUrl = new URL(url);
    let currentInit: RequestInit = requestInit;
    for (let redirects = 0; ; redirects += 1) {
      const response = await this.#send(currentUrl, currentInit);
      const location = response.headers.get('location');
      if (!follow || !isRedirect(response.status) || location === null) return response;
      if (redirects === maximumRedirects)
        throw new Error(`more than ${maximumRedirects} redirects`);
      await response.body?.cancel();
      const nextUrl = new URL(location, currentUrl);
      currentInit = redirectedInit(
        response.status,
        currentInit,
        nextUrl.origin !== currentUrl.origin,
      );
      currentUrl = nextUrl;
    }
  }

  /** Follows redirects from `url` until the next Location starts with `stopAtUrlPrefix`; returns it unrequested. */
  async followUntil(url: string | URL, stopAtUrlPrefix: string): Promise<URL> {
    let currentUrl = new URL(url);
    for (let redirects = 0; redirects <= maximumRedirects; redirects += 1) {
      const response = await this.#send(currentUrl, {});
      const location = response.headers.get('location');
      if (!isRedirect(response.status) || location === null) {
        const body = (await response.text()).slice(0, 500);
        throw new Error(
          `${currentUrl.href} answered ${response.status} instead of a redirect: ${body}`,
        );
      }
      await response.body?.cancel();
      currentUrl = new URL(location, currentUrl);
      if (currentUrl.href.startsWith(stopAtUrlPrefix)) return currentUrl;
    }
    throw new Error(`no redirect to ${stopAtUrlPrefix} within ${maximumRedirects} redirects`);
  }

  /** The value the jar would send for `name` on `host` (the longest path wins), if any. */
  cookie(host: string, name: string): string | undefined {
    return this.#cookiesOf(host)
      .filter((cookie) => cookie.name === name)
      .sort((first, second) => second.path.length - first.path.length)[0]?.value;
  }

  /** Every cookie value the jar holds for `host` now (to look for them where they must not be). */
  cookieValues(host: string): string[] {
    return this.#cookiesOf(host).map((cookie) => cookie.value);
  }

  /** The raw Set-Cookie line last stored for `name` on `host`, deletions included. */
  cookieAttributes(host: string, name: string): string | undefined {
    return this.#lastSetCookieLines.get(host)?.get(name);
  }

  /** Forges or tampers a cookie: replaces the value of every stored `name`, or adds it at Path=/. */
  setCookie(host: string, name: string, value: string): void {
    const cookies = this.#jar.get(host) ?? new Map<string, StoredCookie>();
    this.#jar.set(host, cookies);
    const existing = [...cookies.values()].filter((cookie) => cookie.name === name);
    for (const cookie of existing.length > 0
      ? existing
      : [{ name, path: '/', expiresAt: Infinity }])
      cookies.set(`${name} ${cookie.path}`, { ...cookie, value });
    this.#rememberLine(host, name, `${name}=${value}; Path=/`);
  }

  clearCookies(): void {
    this.#jar.clear();
    this.#lastSetCookieLines.clear();
  }

  async #send(url: URL, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    const jarCookies = this.#cookiesOf(url.hostname)
      .filter((cookie) => pathMatches(url.pathname, cookie.path))
      // Longer paths first, as RFC 6265 §5.4 step 2 recommends.
      .sort((first, second) => second.path.length - first.path.length)
      .map((cookie) => `${cookie.name}=${cookie.value}`);
    if (jarCookies.length > 0) {
      const explicit = headers.get('cookie');
      headers.set('cookie', [explicit, ...jarCookies].filter(Boolean).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.#store(url, response.headers.getSetCookie());
    return response;
  }

  #store(url: URL, setCookieLines: string[]): void {
    const now = Date.now();
    const cookies = this.#jar.get(url.hostname) ?? new Map<string, StoredCookie>();
    this.#jar.set(url.hostname, cookies);
    for (const line of setCookieLines) {
      const cookie = parseSetCookie(line, url, now);
      if (cookie === undefined) continue;
      this.#rememberLine(url.hostname, cookie.name, line);
      const key = `${cookie.name} ${cookie.path}`;
      // Max-Age=0 or an Expires in the past is how a server deletes a cookie.
      if (cookie.expiresAt <= now) cookies.delete(key);
      else cookies.set(key, cookie);
    }
  }

  #rememberLine(host: string, name: string, line: string): void {
    const lines = this.#lastSetCookieLines.get(host) ?? new Map<string, string>();
    this.#lastSetCookieLines.set(host, lines);
    lines.set(name, line);
  }

  #cookiesOf(host: string): StoredCookie[] {
    const cookies = this.#jar.get(host);
    if (cookies === undefined) return [];
    const now = Date.now();
    for (const [key, cookie] of cookies) if (cookie.expiresAt <= now) cookies.delete(key);
    return [...cookies.values()];
  }
}

function isRedirect(status: number): boolean {
  return [301, 302, 303, 307, 308].includes(status);
}

/**
 * Fetch's redirect rules: 303, and 301/302 after a POST, become a GET without a body; 307/308
 * repeat the request; a cross-origin hop drops Authorization (the bearer must not follow).
 * @see https://fetch.spec.whatwg.org/#http-redirect-fetch
 */
function redirectedInit(status: number, init: RequestInit, crossOrigin: boolean): RequestInit {
  if (crossOrigin) {
    const headers = new Headers(init.headers);
    headers.delete('authorization');
    init = { ...init, headers };
  }
  const method = (init.method ?? 'GET').toUpperCase();
  if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
    const headers = new Headers(init.headers);
    for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language'])
      headers.delete(name);
    return {
      ...init,
      method: status === 303 && method === 'HEAD' ? 'HEAD' : 'GET',
      body: null,
      headers,
    };
  }
  return init;
}
