// The one keep-alive connection pool per upstream API (undici's Pool), with the limits the gateway holds its upstreams to, and connections opened only for a request that still needs one.
import { Client, Pool, type buildConnector, type Dispatcher } from 'undici';

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

/** A request of the gateway's that tells the connection holding it when it no longer needs it. */
export interface HeldRequest {
  /** Called as the request enters a connection's queue; it leaves `requests` once it ends or is cancelled. */
  heldBy(requests: Set<HeldRequest>): void;
}

function isHeldRequest(
  handler: Dispatcher.DispatchHandler,
): handler is Dispatcher.DispatchHandler & HeldRequest {
  return typeof (handler as Partial<HeldRequest>).heldBy === 'function';
}

/** Refuses a connection no request is waiting for (see `UpstreamClient`). */
const noRequestWaiting = Object.assign(new Error('no request is waiting for this connection'), {
  code: 'ERR_UPSTREAM_NO_REQUEST_WAITING',
});

/**
 * One connection of the pool (undici's Client), which knows the gateway's requests it holds.
 * undici 7 re-queues a request aborted on a connection when that connection closes, and opens a
 * new connection for it before it notices the abort (nodejs/undici#5845): each browser that left
 * mid-answer would leave an unused connection open upstream for the idle timeout. Such a connect
 * is refused here: undici then drops the aborted request, and the pool drops this Client.
 */
class UpstreamClient extends Client {
  readonly #heldRequests: Set<HeldRequest>;

  constructor(origin: URL, options: Client.Options & { connect: buildConnector.connector }) {
    const heldRequests = new Set<HeldRequest>();
    const connector = options.connect;
    super(origin, {
      ...options,
      connect: (connectOptions, callback) => {
        if (heldRequests.size === 0) callback(noRequestWaiting, null);
        else connector(connectOptions, callback);
      },
    });
    this.#heldRequests = heldRequests;
  }

  override dispatch(
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    if (isHeldRequest(handler)) handler.heldBy(this.#heldRequests);
    return super.dispatch(options, handler);
  }
}

/**
 * One pool per forwarder, never one per request (TLS handshakes and TCP slow start are paid once).
 * `connectTimeoutMs` bounds the TCP (and TLS) connect by the same limit as the response headers.
 */
export function createUpstreamPool(apiUrl: URL, connectTimeoutMs: number): Pool {
  return new Pool(apiUrl.origin, {
    connections: maxConnectionsPerUpstream,
    factory: (origin, options) =>
      new UpstreamClient(origin, options as Client.Options & { connect: buildConnector.connector }),
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
