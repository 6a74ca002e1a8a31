// Streams a browser request to an upstream API and its answer back, bearer injected, through http-proxy-middleware (httpxy); an upstream 401 can be handed back for a refresh and one replay.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createProxyMiddleware, type Plugin } from 'http-proxy-middleware';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Logger } from '../observability/logger.ts';
import { Exchange, relayed, type ExchangeOptions } from './forward-exchange.ts';
import type { ReplayableBody } from './replayable-body.ts';
import { createResponseLinks } from './response-links.ts';
import { createKeepAliveAgent, validatedApiUrl } from './upstream-agent.ts';
import { failureCode } from './upstream-failure.ts';

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
  /** Destroys the keep-alive agent's sockets. */
  close(): void;
}

/** TRACE/TRACK echo the request, bearer included, into the response body (Cross-Site Tracing): never forwarded. */
const methodsNeverForwarded: ReadonlySet<string> = new Set(['TRACE', 'TRACK', 'CONNECT']);

/**
 * The latest exchange of each browser request, held on the request itself (a replay replaces the
 * one its 401 ended). Not a WeakMap: V8's young-generation GC treats every value of a WeakMap that
 * lives in old space as a root, and an exchange holds its key (`incoming`), so each request's
 * objects would survive every scavenge, be promoted and wait for a full GC.
 */
const exchangeOfRequest = Symbol('exchange');

type RequestWithExchange = IncomingMessage & { [exchangeOfRequest]?: Exchange };

function exchangeOf(incoming: IncomingMessage): Exchange | undefined {
  return (incoming as RequestWithExchange)[exchangeOfRequest];
}

export function createForwarder(options: ForwarderOptions): Forwarder {
  const target = validatedApiUrl(options.apiUrl);
  const agent = createKeepAliveAgent(target);
  // Built once: every answer then costs a prefix comparison per link header, and a JSON check.
  const exchangeOptions: ExchangeOptions = {
    ...options,
    responseLinks:
      options.links === undefined
        ? null
        : createResponseLinks({ apiUrl: target, ...options.links }),
  };
  // Created once: httpxy keeps one event emitter and the agent keeps the pool across requests.
  const proxyMiddleware = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target: target.href,
    agent,
    changeOrigin: true,
    xfwd: false,
    secure: true,
    followRedirects: false,
    // Our `proxyRes` step writes status and headers itself: httpxy's outgoing passes would add a
    // `Connection` header of their own. The body is still piped, never buffered.
    selfHandleResponse: true,
    // The default plugins answer "Error occurred while trying to proxy" with the URL and log URLs.
    ejectPlugins: true,
    plugins: [exchangeEvents(options.logger)],
    // Not a rewrite (the path comes back as is): http-proxy-middleware calls `pathRewrite` with its
    // per-request copy of these options (`prepareProxyRequest`), after `router` and the IPv6 target
    // normalisation, and hands that copy to httpxy's `web`. The exchange completes it there for its
    // own request: a `target` object of its own (so httpxy's events name the send they belong to),
    // and `buffer`, the stream httpxy pipes instead of `incoming` when the body was read beforehand.
    // The shared options would race between concurrent requests; `router` runs before the IPv6
    // normalisation, which may replace the target object it returns.
    pathRewrite: (path, incoming, _outgoing, requestOptions) => {
      if (requestOptions !== undefined) exchangeOf(incoming)?.configure(requestOptions);
      return path;
    },
    // No `proxyTimeout` and no `timeout`. httpxy's `proxyTimeout` is `ClientRequest.setTimeout`, an
    // idle timer on the upstream socket: it fires as ECONNRESET "socket hang up" (a 502, not a 504),
    // cuts a body that pauses (or is held back by a slow browser) longer than the limit after the
    // headers, and covers neither the wait for a pooled socket nor the connect. `timeout` is an idle
    // timer on the browser's socket. The Exchange's header timer replaces both.
  });

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
        // A second send reads an `incoming` that has ended: piped, it would never end the upstream request.
        if (request.body === undefined && exchangeOf(incoming) !== undefined) {
          reject(new TypeError('a request forwarded again must carry the body it was read into'));
          return;
        }
        const firstSend = exchangeOf(incoming) === undefined;
        const exchange = new Exchange(
          incoming,
          outgoing,
          request,
          exchangeOptions,
          { resolve, reject },
          firstSend,
        );
        (incoming as RequestWithExchange)[exchangeOfRequest] = exchange;
        outgoing.once('close', () => exchange.outgoingClosed());
        exchange.begin();
        const next = (error?: unknown): void =>
          exchange.failed(error ?? new Error('request not proxied'));
        proxyMiddleware(incoming, outgoing, next).catch(next);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/**
 * Routes httpxy's events to the exchange of their request. Every listener of an earlier send of the
 * same browser request stays registered (httpxy adds them per send), so an event is taken only by
 * the exchange it names: `error` carries the target object the exchange configured, `proxyReq` the
 * options holding it. `proxyRes` names none, and needs none: an upstream request answers once, and
 * an exchange that ends before its answer destroys its upstream request.
 */
function exchangeEvents(logger: Logger): Plugin {
  return (proxyServer) => {
    proxyServer.on('proxyReq', (upstreamRequest, incoming, _outgoing, requestOptions) => {
      const exchange = exchangeOf(incoming);
      if (exchange?.owns(requestOptions.target) === true)
        exchange.upstreamRequestCreated(upstreamRequest);
      else upstreamRequest.destroy(); // an exchange already replaced: never sent
    });
    proxyServer.on('proxyRes', (upstreamResponse, incoming) => {
      const exchange = exchangeOf(incoming);
      if (exchange === undefined) upstreamResponse.destroy();
      else exchange.responseArrived(upstreamResponse);
    });
    // A listener must exist: httpxy rejects (and HPM re-emits, which throws) when none does.
    proxyServer.on('error', (error, incoming, _outgoing, requestTarget) => {
      const exchange = incoming === undefined ? undefined : exchangeOf(incoming);
      if (exchange?.owns(requestTarget) === true) exchange.failed(error);
      else if (exchange !== undefined)
        logger.debug({ errorCode: failureCode(error) }, 'late upstream event of an earlier send');
      else logger.warn({ errorCode: failureCode(error) }, 'proxy error outside an exchange');
    });
  };
}
