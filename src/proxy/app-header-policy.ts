// Which headers cross between the browser and the SPA's own server (APP_UPSTREAM_URL): data with a reason per entry, applied by small named steps.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import {
  connectionOptionNames,
  hopByHopHeaders,
  restoreBodyFraming,
  withoutNames,
  withoutPrefixes,
} from './header-policy.ts';

/** Whether a cookie name is one of the gateway's own (session, pending login): they never reach the app. */
export type GatewayCookieTest = (name: string) => boolean;

/** Request headers the app server never receives from the browser. */
export const appRequestHeadersNeverForwarded: ReadonlySet<string> = new Set<string>([
  ...hopByHopHeaders,
  // Page loads carry no credential of the gateway: a client-chosen one (or a bearer a script added)
  // is not the app's business either (contract §2: "no token").
  'authorization',
  // Credentials for a proxy between browser and gateway (RFC 9110 §11.7.2), never for the app.
  'proxy-authorization',
  // Rebuilt without the gateway's cookies by `withoutGatewayCookies` (contract §2: "no session cookie").
  'cookie',
  // Client-written forwarding metadata is spoofable (RFC 7239 §8.1); the gateway writes its own below.
  'forwarded',
  'x-real-ip',
  'true-client-ip',
  'x-client-ip',
  // The gateway's HTTP server already answered `100-continue` itself (RFC 9110 §10.1.1).
  'expect',
  // Replaced by the app server's authority (RFC 9110 §7.2).
  'host',
]);

/** `X-Forwarded-For/-Host/-Proto/-Port` from the client are spoofable (RFC 7239 §1): replaced, never relayed. */
export const appRequestHeaderPrefixesNeverForwarded: readonly string[] = ['x-forwarded-'];

/** Response headers the browser never receives from the app server. */
export const appResponseHeadersNeverReturned: ReadonlySet<string> = new Set<string>([
  ...hopByHopHeaders,
  // Hop-by-hop in RFC 2616 §13.5.1: challenges a proxy on the app's side, not the browser.
  'proxy-authenticate',
  // RFC 7838: alternative services apply to the whole origin; the app must not move the browser's
  // connections for /auth and /graph elsewhere.
  'alt-svc',
]);

/** Where the request came from, as the gateway (not the client) states it (RFC 7239 §5, X-Forwarded-* form). */
export interface ForwardedFacts {
  /** The client socket's address: the only client address the gateway has seen itself. */
  readonly clientAddress: string | undefined;
  /** PUBLIC_URL's host: never the request's Host header, which a client can set to anything (host-header poisoning). */
  readonly publicHost: string;
  /** PUBLIC_URL's scheme: TLS ends in front of the gateway, so its own socket says nothing about it. */
  readonly publicProtocol: 'http' | 'https';
}

/**
 * The headers the app server receives, in a fixed order of steps: drop the `Connection`-named
 * ones, drop the never-forwarded ones, restore the body framing the gateway parsed, put back the
 * app's own cookies, then state the forwarding facts.
 */
export function appRequestHeaders(
  received: IncomingHttpHeaders,
  isGatewayCookie: GatewayCookieTest,
  facts: ForwardedFacts,
): IncomingHttpHeaders {
  let headers = withoutNames(received, connectionOptionNames(received.connection));
  headers = withoutPrefixes(
    withoutNames(headers, appRequestHeadersNeverForwarded),
    appRequestHeaderPrefixesNeverForwarded,
  );
  headers = restoreBodyFraming(headers, received);
  const cookie = withoutGatewayCookies(received.cookie, isGatewayCookie);
  if (cookie !== null) headers.cookie = cookie;
  if (facts.clientAddress !== undefined) headers['x-forwarded-for'] = facts.clientAddress;
  headers['x-forwarded-host'] = facts.publicHost;
  headers['x-forwarded-proto'] = facts.publicProtocol;
  return headers;
}

/**
 * The headers the browser receives from the app server: drop the `Connection`-named ones and the
 * never-returned ones, drop any `Set-Cookie` naming a gateway cookie, then add the gateway's
 * `whenAbsent` headers (HSTS) the app did not send itself.
 */
export function appResponseHeaders(
  received: IncomingHttpHeaders,
  isGatewayCookie: GatewayCookieTest,
  whenAbsent: Readonly<Record<string, string>>,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = withoutNames(
    withoutNames(received, connectionOptionNames(received.connection)),
    appResponseHeadersNeverReturned,
  );
  const setCookies = (received['set-cookie'] ?? []).filter(
    (line) => !isGatewayCookie(setCookieName(line)),
  );
  if (setCookies.length > 0) headers['set-cookie'] = setCookies;
  else delete headers['set-cookie'];
  for (const [name, value] of Object.entries(whenAbsent)) {
    if (headers[name.toLowerCase()] === undefined) headers[name.toLowerCase()] = value;
  }
  return headers;
}

/**
 * A `Cookie` header without the gateway's cookies, the app's own pairs kept as sent; null when none
 * is left. Node joins several `Cookie` lines with "; " (RFC 6265 §5.4 form), so one split suffices.
 */
export function withoutGatewayCookies(
  cookie: string | undefined,
  isGatewayCookie: GatewayCookieTest,
): string | null {
  if (cookie === undefined) return null;
  const kept = cookie
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '' && !isGatewayCookie(cookieName(pair)));
  return kept.length > 0 ? kept.join('; ') : null;
}

/**
 * The name a browser stores a `Set-Cookie` line under (RFC 6265bis §5.6: the name-value pair ends at
 * the first `;`, the name at its first `=`, both trimmed). A pair without `=` is a nameless cookie
 * whose value is the pair: it is tested as a name too, so no spelling sets a gateway cookie.
 */
export function setCookieName(line: string): string {
  return cookieName(line.split(';', 1)[0] ?? '');
}

function cookieName(pair: string): string {
  const equals = pair.indexOf('=');
  return (equals === -1 ? pair : pair.slice(0, equals)).trim();
}
