// The proxy engine alternative of issue 7, run in its own process: Hono and @hono/node-server as the bare proxy, forwarding with undici's `stream()` over a keep-alive pool, a fixed bearer, no session, CSRF or header-policy work.
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import { Pool } from 'undici';
import { hopByHopHeaders } from '../../src/proxy/header-policy.ts';
import { serveBareProxy } from './serve-bare-proxy.ts';

const upstreamUrlText = process.env.BENCH_UPSTREAM_URL;
if (upstreamUrlText === undefined) throw new Error('BENCH_UPSTREAM_URL must name the upstream');
const upstreamUrl = new URL(upstreamUrlText);
/** httpxy joins the target's path and the request's; the same here, without a doubled slash. */
const upstreamBasePath = upstreamUrl.pathname.replace(/\/$/, '');

/**
 * The bare proxy's pool settings in undici's terms: at most 256 connections (its agent's
 * maxSockets), an idle one closed after 30 s. undici keeps every idle connection (no 32 free cap)
 * and sends one request at a time on each (no pipelining), like Node's agent.
 */
const pool = new Pool(upstreamUrl.origin, {
  connections: 256,
  pipelining: 1,
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 30_000,
  // The bare proxy has no body timer either: a download held back by a slow browser is never cut.
  bodyTimeout: 0,
});

/** RFC 9110 §7.6.1: headers of one connection, never relayed (the gateway's own list). */
const hopByHop: ReadonlySet<string> = new Set(hopByHopHeaders);

/**
 * Dropped on the way out besides those: `host` is the upstream's (undici sets
 * it from the pool's origin, as `changeOrigin` does); `expect` was answered by Node's server (and
 * undici refuses it); `authorization` is replaced by the fixed bearer.
 */
const requestHeadersDropped: ReadonlySet<string> = new Set([
  ...hopByHop,
  'host',
  'expect',
  'authorization',
]);

/** The names a `Connection` header lists: hop-by-hop too (RFC 9110 §7.6.1). */
function connectionOptions(connection: string | string[] | undefined): Set<string> | null {
  if (connection === undefined) return null;
  const values = Array.isArray(connection) ? connection : [connection];
  return new Set(
    values.flatMap((value) => value.split(',').map((name) => name.trim().toLowerCase())),
  );
}

/** The browser's headers as a flat [name, value, …] list (undici's cheapest form), bearer added. */
function upstreamRequestHeaders(incoming: IncomingMessage): string[] {
  const listed = connectionOptions(incoming.headers.connection);
  const raw = incoming.rawHeaders;
  const forwarded: string[] = [];
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    const lowerName = name.toLowerCase();
    if (requestHeadersDropped.has(lowerName) || listed?.has(lowerName) === true) continue;
    forwarded.push(name, raw[index + 1]!);
  }
  forwarded.push('authorization', 'Bearer x');
  return forwarded;
}

function browserResponseHeaders(received: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionOptions(received.connection);
  const returned: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(received)) {
    if (value === undefined || hopByHop.has(name) || listed?.has(name) === true) continue;
    returned[name] = value;
  }
  return returned;
}

/**
 * undici frames the body from `content-length`, or chunks it when there is none; a request the
 * browser sent with neither has no body (RFC 9112 §6.3) and gets none upstream.
 */
function requestBody(incoming: IncomingMessage): IncomingMessage | null {
  const { 'content-length': contentLength, 'transfer-encoding': transferEncoding } =
    incoming.headers;
  if (transferEncoding === undefined && (contentLength === undefined || contentLength === '0'))
    return null;
  return incoming;
}

/**
 * Streams one exchange: the upstream's status and headers are written when they arrive, and undici
 * writes the body into the ServerResponse itself (a `false` from `write` pauses the upstream socket
 * until `drain`). Resolves once the answer is sent, the browser went away, or it failed.
 */
async function forward(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
  const browserGone = new AbortController();
  // Before the headers, undici listens to the signal; after them, it sees `outgoing` close early itself.
  const onClose = (): void => {
    if (!outgoing.writableFinished) browserGone.abort();
  };
  outgoing.once('close', onClose);
  try {
    await pool.stream(
      {
        method: incoming.method ?? 'GET',
        path: upstreamBasePath + (incoming.url ?? '/').replace(/^\/graph/, ''),
        headers: upstreamRequestHeaders(incoming),
        body: requestBody(incoming),
        signal: browserGone.signal,
      },
      ({ statusCode, headers }) => {
        outgoing.writeHead(statusCode, browserResponseHeaders(headers));
        return outgoing;
      },
    );
  } catch {
    // What the bare proxy does: a 502 while nothing was sent, else the browser's connection is cut.
    if (outgoing.destroyed || browserGone.signal.aborted) return;
    if (!outgoing.headersSent) outgoing.writeHead(502).end();
    else outgoing.destroy();
  } finally {
    outgoing.off('close', onClose);
  }
}

serveBareProxy(forward);
