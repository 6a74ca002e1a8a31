// The one keep-alive connection pool per upstream API (undici's Pool), with the limits the gateway holds its upstreams to.
import { Pool } from 'undici';

/** Upstream connections per API, as busy as they may get: Graph throttles an app long before this. */
const maxConnectionsPerUpstream = 256;
/**
 * An idle connection is closed after 30 s (or sooner, when the upstream's `Keep-Alive: timeout=`
 * says so), well below the upstreams' own idle limits (Azure's 4 minutes), so a request rarely
 * lands on a connection the upstream is closing (RFC 9112 §9.3, §9.6). undici keeps every idle
 * connection until then (no free-socket cap), and reuses the first idle one of its list, so a
 * surplus left after a burst expires.
 */
const idleConnectionTimeoutMs = 30_000;

/**
 * One pool per forwarder, never one per request (TLS handshakes and TCP slow start are paid once).
 * `connectTimeoutMs` bounds the TCP (and TLS) connect by the same limit as the response headers.
 */
export function createUpstreamPool(apiUrl: URL, connectTimeoutMs: number): Pool {
  return new Pool(apiUrl.origin, {
    connections: maxConnectionsPerUpstream,
    // One request at a time per connection (RFC 9112 §9.3.2: a pipelined request that fails takes
    // the ones behind it down, and a non-idempotent one cannot be retried).
    pipelining: 1,
    keepAliveTimeout: idleConnectionTimeoutMs,
    keepAliveMaxTimeout: idleConnectionTimeoutMs,
    // The gateway's own header timer (UPSTREAM_TIMEOUT_S, re-armed while the upload arrives) bounds
    // the wait for the headers, and a body is never cut for its pace: a download held back by a
    // slow browser pauses the upstream connection for as long as the browser takes.
    headersTimeout: 0,
    bodyTimeout: 0,
    connectTimeout: connectTimeoutMs,
    // A request whose body disagrees with its Content-Length fails instead of desynchronising the
    // connection (RFC 9112 §6.3: the upstream would read the difference as the next request).
    strictContentLength: true,
    // TLS certificates are always verified (undici's default, stated here): there is no option to weaken it.
    connect: { rejectUnauthorized: true },
  });
}
