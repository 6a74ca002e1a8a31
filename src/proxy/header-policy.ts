// Which headers cross the gateway in each direction: the rules are data (one reason per entry), applied by small named steps.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Headers that describe one connection, never the exchange: never relayed in either direction. */
export const hopByHopHeaders = [
  // RFC 9110 §7.6.1: options of this connection only; the names it lists are hop-by-hop too.
  'connection',
  // RFC 9110 §7.6.1 (RFC 2068 §19.7.1): parameters of this connection's persistence.
  'keep-alive',
  // RFC 9110 §7.6.1: the non-standard `Connection` of old clients.
  'proxy-connection',
  // RFC 9110 §10.1.4: which transfer codings this connection accepts.
  'te',
  // RFC 9110 §6.6.2: announces trailer fields of this connection's chunked framing.
  'trailer',
  // RFC 9112 §6.1: framing of this connection; re-derived for the upstream by `restoreBodyFraming`.
  'transfer-encoding',
  // RFC 9110 §7.8: a protocol switch of this connection; the gateway tunnels nothing.
  'upgrade',
] as const;

/** Request headers the upstream never receives from the browser. */
export const requestHeadersNeverForwarded: ReadonlySet<string> = new Set<string>([
  ...hopByHopHeaders,
  // The browser's session cookie stays at the gateway: the upstream only ever sees the bearer (contract §5).
  'cookie',
  // Replaced by the gateway's bearer (RFC 6750 §2.1): a client-chosen credential never reaches the upstream.
  'authorization',
  // The gateway's own anti-forgery marker (contract §4), meaningless upstream.
  'x-csrf',
  // A browser Origin makes Entra treat the call as a SPA's (AADSTS9002326) and upstream CORS answer
  // for an origin that is not the caller: the gateway, not the page, is the client.
  'origin',
  // Client-written forwarding metadata is spoofable (RFC 7239 §8.1): the gateway adds none (xfwd off).
  'forwarded',
  // Other spellings of the same spoofable client-address claim (nginx, Akamai, others).
  'x-real-ip',
  'true-client-ip',
  'x-client-ip',
  // Credentials for a proxy between browser and gateway (RFC 9110 §11.7.2), never for the upstream.
  'proxy-authorization',
  // The gateway's HTTP server already answered `100-continue` itself (RFC 9110 §10.1.1); relaying it
  // would make the upstream wait for a continue the body does not need.
  'expect',
  // Replaced by the upstream's authority (RFC 9110 §7.2) through `changeOrigin`.
  'host',
  // Method overrides would let a request the route allow-list checked as GET act upstream as
  // DELETE or PATCH on APIs that honour them (OWASP REST Security, "HTTP method override").
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  // Path overrides (IIS, Symfony, Zend) would do the same to the path the allow-list checked.
  'x-original-url',
  'x-rewrite-url',
  'x-override-url',
]);

/** Prefixes of request headers never forwarded: `X-Forwarded-For/-Host/-Proto/-Port` are spoofable (RFC 7239 §1). */
export const requestHeaderPrefixesNeverForwarded: readonly string[] = ['x-forwarded-'];

/** Response headers the browser never receives from the upstream. */
export const responseHeadersNeverReturned: ReadonlySet<string> = new Set<string>([
  ...hopByHopHeaders,
  // Hop-by-hop in RFC 2616 §13.5.1: challenges a proxy on the upstream's side (RFC 9110 §11.7.1), not the browser.
  'proxy-authenticate',
  // An upstream cookie would be stored for the gateway's origin (RFC 6265 §5.3), next to its session cookie.
  'set-cookie',
  // ServiceNow's `Basic realm` pops a native login dialog; Graph's Bearer challenge names a token the
  // browser never holds. The gateway's own 401s carry their own challenge (contract §4).
  'www-authenticate',
  // W3C Clear Site Data: an upstream could wipe the gateway origin's cookies and the SPA's storage.
  'clear-site-data',
  // RFC 7838: an upstream must not redirect the browser's future connections for the gateway's origin.
  'alt-svc',
]);

/**
 * Prefixes of response headers the browser never receives from the upstream. The browser reads
 * every relayed header as the gateway origin's own, and that origin holds the session cookie.
 */
export const responseHeaderPrefixesNeverReturned: readonly string[] = [
  // Fetch Standard, the CORS protocol: an upstream's `Access-Control-Allow-Origin: *` or `-Credentials:
  // true` would grant another site read access to the gateway's answers; the gateway grants none.
  'access-control-',
];

const noNames: ReadonlySet<string> = new Set<string>();

/**
 * The header names a `Connection` header lists (RFC 9110 §7.6.1: "connection-option"), lowercased.
 * Each names a header meant for this hop only, so it is dropped with the `Connection` header itself.
 */
export function connectionOptionNames(
  connection: string | string[] | undefined,
): ReadonlySet<string> {
  if (connection === undefined) return noNames;
  const values =
    connection === undefined ? [] : Array.isArray(connection) ? connection : [connection];
  const names = new Set<string>();
  for (const value of values) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') names.add(name);
    }
  }
  return names;
}

/**
 * The headers the upstream receives for a browser request, in a fixed order of steps:
 * drop the `Connection`-named ones, drop the never-forwarded ones, restore the body framing
 * the gateway parsed, then set the bearer.
 */
export function forwardableRequestHeaders(
  received: IncomingHttpHeaders,
  accessToken: string,
): IncomingHttpHeaders {
  // One copy, one pass (the steps above, applied per header): this runs for every proxied request.
  const headers = keptHeaders(
    received,
    [connectionOptionNames(received.connection), requestHeadersNeverForwarded],
    requestHeaderPrefixesNeverForwarded,
  );
  frameBodyAsReceived(headers, received);
  headers.authorization = `Bearer ${accessToken}`;
  return headers;
}

/**
 * The headers the browser receives for an upstream response, in a fixed order of steps: drop the
 * `Connection`-named ones, then the never-returned names and prefixes; everything else as sent.
 */
export function returnableResponseHeaders(received: IncomingHttpHeaders): OutgoingHttpHeaders {
  return keptHeaders(
    received,
    [connectionOptionNames(received.connection), responseHeadersNeverReturned],
    responseHeaderPrefixesNeverReturned,
  );
}

/**
 * A copy of `headers` without those named in any of `droppedNames` or starting with one of
 * `droppedPrefixes` (names compared in lower case): `withoutNames` and `withoutPrefixes` in one pass.
 */
function keptHeaders(
  headers: IncomingHttpHeaders,
  droppedNames: readonly ReadonlySet<string>[],
  droppedPrefixes: readonly string[],
): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    const lowerName = name.toLowerCase();
    if (droppedNames.some((names) => names.has(lowerName))) continue;
    if (droppedPrefixes.some((prefix) => lowerName.startsWith(prefix))) continue;
    kept[name] = value;
  }
  return kept;
}

/** A copy of `headers` without the named ones (names compared in lower case). */
export function withoutNames(
  headers: IncomingHttpHeaders,
  names: ReadonlySet<string>,
): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !names.has(name.toLowerCase())) kept[name] = value;
  }
  return kept;
}

/** A copy of `headers` without those whose lower-case name starts with one of `prefixes`. */
export function withoutPrefixes(
  headers: IncomingHttpHeaders,
  prefixes: readonly string[],
): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lowerName = name.toLowerCase();
    if (!prefixes.some((prefix) => lowerName.startsWith(prefix))) kept[name] = value;
  }
  return kept;
}

/**
 * The upstream must frame the body exactly as the gateway's parser did (RFC 9112 §6.3), whatever
 * `Connection` named: a chunked body stays chunked (undici re-chunks it, and the forwarder then
 * closes that upstream connection), a sized body keeps its `Content-Length`. Without this, `Connection:
 * content-length` or a dropped `Transfer-Encoding` on a GET/DELETE would send body bytes the upstream
 * reads as the next request on a kept-alive socket (request smuggling).
 */
export function restoreBodyFraming(
  headers: IncomingHttpHeaders,
  received: IncomingHttpHeaders,
): IncomingHttpHeaders {
  const framed: IncomingHttpHeaders = { ...headers };
  frameBodyAsReceived(framed, received);
  return framed;
}

/** `restoreBodyFraming` on a copy the caller owns. */
function frameBodyAsReceived(headers: IncomingHttpHeaders, received: IncomingHttpHeaders): void {
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  if (received['transfer-encoding'] !== undefined) {
    headers['transfer-encoding'] = received['transfer-encoding'];
  } else if (received['content-length'] !== undefined) {
    headers['content-length'] = received['content-length'];
  }
}
