// The keep-alive agent of the SPA's own upstream (APP_UPSTREAM, node:http), and the checks on any upstream base URL (the APIs' pools are undici's: upstream-pool.ts).
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/** Upstream sockets at once: as many as an API pool's connections (upstream-pool.ts). */
const maxSocketsPerUpstream = 256;
/**
 * Idle sockets kept for reuse (RFC 9112 §9.3 persistence): as many as may be busy. Fewer (32 before)
 * made a burst above that many concurrent requests close its surplus on return and open new
 * connections for the next burst: 6–24 % of requests paid a TCP (or TLS) handshake at 64
 * connections in bench/. LIFO reuse lets a surplus left after a burst expire on the idle timeout.
 */
const maxFreeSocketsPerUpstream = maxSocketsPerUpstream;
/**
 * An idle pooled socket is closed after 30 s, well below the upstreams' own idle limits (Azure's
 * 4 minutes), so a request rarely lands on a socket the upstream is closing (ECONNRESET on reuse).
 * Node's agent destroys only FREE sockets on this timeout: a busy one merely emits `timeout`, so a
 * slow download is never cut by it.
 */
const idleSocketTimeoutMs = 30_000;

/** A copy of the API base URL, refused unless it is http(s) with no query or fragment. */
export function validatedApiUrl(apiUrl: URL): URL {
  const target = new URL(apiUrl.href);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new TypeError(`apiUrl must be an http: or https: URL, got ${target.protocol}`);
  }
  // A base query would be spliced into every request's query, and a fragment is never sent.
  if (target.search !== '' || target.hash !== '') {
    throw new TypeError('apiUrl must not carry a query or fragment');
  }
  return target;
}

/** One pool per forwarder, never one per request (TLS handshakes and TCP slow start are paid once). */
export function createKeepAliveAgent(apiUrl: URL): HttpAgent {
  const agentOptions = {
    keepAlive: true,
    maxSockets: maxSocketsPerUpstream,
    maxFreeSockets: maxFreeSocketsPerUpstream,
    timeout: idleSocketTimeoutMs,
    scheduling: 'lifo' as const,
  };
  return apiUrl.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
}
