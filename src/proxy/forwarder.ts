// Streams a browser request to an upstream API and its answer back, bearer injected, over undici's keep-alive pool; an upstream 401 can be handed back for a refresh and one replay.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Logger } from '../observability/logger.ts';
import { Exchange, relayed, type ExchangeOptions } from './forward-exchange.ts';
import type { ReplayableBody } from './replayable-body.ts';
import { createResponseLinks } from './response-links.ts';
import { validatedApiUrl } from './upstream-agent.ts';
import { createUpstreamPool } from './upstream-pool.ts';

export interface ForwarderOptions {
  readonly apiUrl: URL;
  /** Limit on the upstream's response headers (UPSTREAM_TIMEOUT_S); never on a body already streaming. */
  readonly upstreamTimeoutMs: number;
  readonly logger: Logger;
  /**
   * Called once per exchange when the upstream's response headers arrive (`status`), or when it
   * failed to answer (`null`: unreachable, timeout); never when the browser left first.
   */
  readonly observeUpstream?: (status: number | null, seconds: number) => void;
  /**
   * Absolute links back into this upstream become links through the gateway (contract §6): `Location`
   * and `Link` headers always, JSON `@odata.nextLink` / `@odata.deltaLink` values when
   * `rewriteODataLinks`. Absent: every answer is relayed as it came.
   */
  readonly links?: {
    /** PUBLIC_URL's origin, without a trailing slash. */
    readonly publicOrigin: string;
    /** Where the gateway mounts this upstream (`/graph`). */
    readonly mountPrefix: string;
    readonly rewriteODataLinks: boolean;
  };
}

export interface ForwardRequest {
  /** From `resolveUpstreamPath`: appended to the apiUrl's base path as is. */
  readonly upstreamPath: string;
  readonly accessToken: string;
  /** Already read (replayable): sent instead of reading `incoming`, identical bytes each time. Absent: streamed from `incoming`. */
  readonly body?: ReplayableBody;
  /** An upstream 401 is not relayed: its body is drained and `forward` resolves `{kind:'unauthorized', challenge}`; nothing is written to `outgoing`. */
  readonly interceptUnauthorized?: boolean;
}

/**
 * `relayed`: the upstream's answer was sent, or the browser went away, or the answer broke off after
 * its headers (the connection was then closed): in every case nothing is left for the caller to write.
 * `unauthorized`: an intercepted 401; `challenge` is its `WWW-Authenticate` (fields joined with ', ').
 */
export type ForwardOutcome =
  | { readonly kind: 'relayed' }
  | { readonly kind: 'unauthorized'; readonly challenge: string | null };

export interface Forwarder {
  /**
   * Resolves once the response has been sent, the browser went away, or (with
   * `interceptUnauthorized`) the upstream answered 401. Rejects with a GatewayError (502
   * `upstream_unreachable`, 504 `upstream_timeout`) only while nothing has been written to
   * `outgoing`, so the caller can answer with a problem; a later failure destroys the connection.
   * The same `incoming` may be forwarded again after an `unauthorized` outcome, with the same `body`.
   */
  forward(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    request: ForwardRequest,
  ): Promise<ForwardOutcome>;
  /** Destroys the keep-alive pool's connections. */
  close(): void;
}

/** TRACE/TRACK echo the request, bearer included, into the response body (Cross-Site Tracing): never forwarded. */
const methodsNeverForwarded: ReadonlySet<string> = new Set(['TRACE', 'TRACK', 'CONNECT']);

/**
 * Set on a browser request once it has been forwarded: a later send (a replay) must carry the body
 * it was read into. A flag on the request, not a WeakMap: V8's young-generation GC treats every
 * value of a WeakMap that lives in old space as a root, so each request's objects would survive
 * every scavenge, be promoted and wait for a full GC.
 */
const forwardedBefore = Symbol('forwarded before');

type MarkedRequest = IncomingMessage & { [forwardedBefore]?: true };

export function createForwarder(options: ForwarderOptions): Forwarder {
  const target = validatedApiUrl(options.apiUrl);
  const pool = createUpstreamPool(target, options.upstreamTimeoutMs);
  // Built once: every answer then costs a prefix comparison per link header, and a JSON check.
  const exchangeOptions: ExchangeOptions = {
    ...options,
    basePath: target.pathname,
    responseLinks:
      options.links === undefined
        ? null
        : createResponseLinks({ apiUrl: target, ...options.links }),
  };

  return {
    forward(incoming, outgoing, request) {
      return new Promise<ForwardOutcome>((resolve, reject) => {
        if (outgoing.destroyed || outgoing.writableEnded) {
          resolve(relayed); // the browser went away (or was answered) before forwarding began
          return;
        }
        const method = incoming.method ?? '';
        if (methodsNeverForwarded.has(method)) {
          reject(
            new GatewayError(405, 'method_not_allowed', `the ${method} method is never forwarded`),
          );
          return;
        }
        const marked = incoming as MarkedRequest;
        // A second send reads an `incoming` that has ended: streamed, it would never end the upstream request.
        if (request.body === undefined && marked[forwardedBefore] === true) {
          reject(new TypeError('a request forwarded again must carry the body it was read into'));
          return;
        }
        marked[forwardedBefore] = true;
        const exchange = new Exchange(incoming, outgoing, request, exchangeOptions, {
          resolve,
          reject,
        });
        outgoing.once('close', () => exchange.outgoingClosed());
        exchange.begin(pool);
      });
    },
    close() {
      // In-flight requests fail (their exchanges end), idle connections close at once.
      void pool.destroy();
    },
  };
}
