// Streams a browser request to an upstream API and its answer back, bearer injected, through http-proxy-middleware (httpxy): the one file that touches Node's raw req/res.
import {
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createProxyMiddleware, type Plugin } from 'http-proxy-middleware';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Logger } from '../observability/logger.ts';
import { forwardableRequestHeaders, returnableResponseHeaders } from './header-policy.ts';
import { createKeepAliveAgent, validatedApiUrl } from './upstream-agent.ts';
import {
  failureCode,
  toUpstreamGatewayError,
  upstreamHeaderTimeoutError,
} from './upstream-failure.ts';

export interface ForwarderOptions {
  readonly apiUrl: URL;
  /** Limit on the upstream's response headers (UPSTREAM_TIMEOUT_S); never on a body already streaming. */
  readonly upstreamTimeoutMs: number;
  readonly logger: Logger;
}

export interface ForwardRequest {
  /** From `resolveUpstreamPath`: appended to the apiUrl's base path as is. */
  readonly upstreamPath: string;
  readonly accessToken: string;
}

export interface Forwarder {
  /**
   * Resolves once the response has been sent or the browser went away. Rejects with a GatewayError
   * (502 `upstream_unreachable`, 504 `upstream_timeout`) only while nothing has been written to
   * `outgoing`, so the caller can answer with a problem; a later failure destroys the connection.
   */
  forward(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    request: ForwardRequest,
  ): Promise<void>;
  /** Destroys the keep-alive agent's sockets. */
  close(): void;
}

/** TRACE/TRACK echo the request, bearer included, into the response body (Cross-Site Tracing): never forwarded. */
const methodsNeverForwarded: ReadonlySet<string> = new Set(['TRACE', 'TRACK', 'CONNECT']);

interface ExchangeSettlement {
  resolve(): void;
  reject(error: GatewayError): void;
}

/** One forwarded request: its header timer, its upstream request once created, and how it ends. */
class Exchange {
  readonly #incoming: IncomingMessage;
  readonly #outgoing: ServerResponse;
  readonly #options: ForwarderOptions;
  readonly #settlement: ExchangeSettlement;
  readonly #request: ForwardRequest;
  readonly #original: { readonly url: string | undefined; readonly headers: IncomingHttpHeaders };
  readonly #logFields: { readonly method: string; readonly upstreamPath: string };
  readonly #startedAt = performance.now();
  #upstreamRequest: ClientRequest | undefined;
  #headerTimer: NodeJS.Timeout | undefined;
  #bytesReadAtLastCheck = 0;
  #status: number | undefined;
  #settled = false;

  constructor(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    request: ForwardRequest,
    options: ForwarderOptions,
    settlement: ExchangeSettlement,
  ) {
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.#options = options;
    this.#settlement = settlement;
    this.#request = request;
    this.#original = { url: incoming.url, headers: incoming.headers };
    // Never the query: it carries OData filters with personal data (contract §5).
    const upstreamPath = request.upstreamPath.split('?', 1)[0] ?? '';
    this.#logFields = { method: incoming.method ?? 'GET', upstreamPath };
  }

  /**
   * Rewrites the request httpxy will copy. The bearer goes into `incoming.headers` before the proxy
   * sees the request: a header added in `proxyReq` is lost when Node has already flushed the head.
   * httpxy appends `incoming.url` to the apiUrl's base path.
   */
  begin(): void {
    const { accessToken, upstreamPath } = this.#request;
    this.#incoming.headers = forwardableRequestHeaders(this.#original.headers, accessToken);
    this.#incoming.url = upstreamPath;
    this.#bytesReadAtLastCheck = this.#incoming.socket.bytesRead;
    this.#headerTimer = setTimeout(() => this.#headerTimerFired(), this.#options.upstreamTimeoutMs);
  }

  upstreamRequestCreated(upstreamRequest: ClientRequest): void {
    this.#upstreamRequest = upstreamRequest;
    // It waited for a pooled socket past the end of this exchange: it must never be sent.
    if (this.#settled) upstreamRequest.destroy();
  }

  /** Writes the upstream's status and policy-filtered headers in one step, then streams the body. */
  responseArrived(upstreamResponse: IncomingMessage): void {
    clearTimeout(this.#headerTimer);
    if (this.#settled) {
      upstreamResponse.destroy();
      return;
    }
    const status = upstreamResponse.statusCode ?? 502;
    try {
      // writeHead marks the headers as sent at once: no upstream header can leak into a later problem.
      this.#outgoing.writeHead(status, returnableResponseHeaders(upstreamResponse.headers));
    } catch (error) {
      this.failed(error);
      return;
    }
    this.#status = status;
    upstreamResponse.pipe(this.#outgoing);
  }

  failed(error: unknown): void {
    if (this.#settled) {
      this.#options.logger.debug(
        { ...this.#logFields, errorCode: failureCode(error) },
        'late upstream event',
      );
      return;
    }
    this.#settle();
    this.#upstreamRequest?.destroy();
    const errorCode = failureCode(error);
    if (this.#outgoing.destroyed || this.#outgoing.socket?.destroyed === true) {
      this.#options.logger.debug({ ...this.#logFields, errorCode }, 'client went away');
      this.#settlement.resolve();
    } else if (!this.#outgoing.headersSent) {
      const gatewayError = toUpstreamGatewayError(error);
      this.#options.logger.warn(
        { ...this.#logFields, status: gatewayError.status, errorCode },
        'upstream request failed',
      );
      // The rest of an unread upload must not be taken for the next request: close after the problem.
      if (!this.#incoming.complete) this.#outgoing.shouldKeepAlive = false;
      this.#settlement.reject(gatewayError);
    } else {
      this.#options.logger.warn(
        { ...this.#logFields, status: this.#status, errorCode },
        'upstream response failed after its headers were sent',
      );
      this.#outgoing.destroy();
      this.#settlement.resolve();
    }
  }

  /** The response is finished, or the browser went away (httpxy then destroys the upstream request). */
  outgoingClosed(): void {
    if (this.#settled) return;
    this.#settle();
    const outcome = this.#outgoing.writableFinished ? 'sent' : 'client went away';
    const durationMs = Math.round(performance.now() - this.#startedAt);
    this.#options.logger.debug({ ...this.#logFields, status: this.#status, durationMs }, outcome);
    this.#settlement.resolve();
  }

  /**
   * The limit bounds the wait for response headers, measured as time without progress: while the
   * browser's upload is still arriving the upstream cannot be expected to answer, so the timer
   * re-arms; once headers arrive it is gone and a long body streams for as long as it takes.
   */
  #headerTimerFired(): void {
    const bytesRead = this.#incoming.socket.bytesRead;
    if (!this.#incoming.complete && bytesRead > this.#bytesReadAtLastCheck) {
      this.#bytesReadAtLastCheck = bytesRead;
      this.#headerTimer?.refresh();
      return;
    }
    this.failed(upstreamHeaderTimeoutError(this.#options.upstreamTimeoutMs));
  }

  /** Ends the exchange once; hands the gateway back the request as it received it (Hono reads `incoming.headers`). */
  #settle(): void {
    this.#settled = true;
    clearTimeout(this.#headerTimer);
    this.#incoming.url = this.#original.url;
    this.#incoming.headers = this.#original.headers;
  }
}

export function createForwarder(options: ForwarderOptions): Forwarder {
  const target = validatedApiUrl(options.apiUrl);
  const agent = createKeepAliveAgent(target);
  const exchanges = new WeakMap<IncomingMessage, Exchange>();
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
    plugins: [exchangeEvents(exchanges, options.logger)],
    // No `proxyTimeout` and no `timeout`. httpxy's `proxyTimeout` is `ClientRequest.setTimeout`, an
    // idle timer on the upstream socket: it fires as ECONNRESET "socket hang up" (a 502, not a 504),
    // cuts a body that pauses (or is held back by a slow browser) longer than the limit after the
    // headers, and covers neither the wait for a pooled socket nor the connect. `timeout` is an idle
    // timer on the browser's socket. The Exchange's header timer replaces both.
  });

  return {
    forward(incoming, outgoing, request) {
      return new Promise<void>((resolve, reject) => {
        if (outgoing.destroyed || outgoing.writableEnded) {
          resolve(); // the browser went away (or was answered) before forwarding began
          return;
        }
        const method = incoming.method ?? '';
        if (methodsNeverForwarded.has(method)) {
          reject(
            new GatewayError(405, 'method_not_allowed', `the ${method} method is never forwarded`),
          );
          return;
        }
        const exchange = new Exchange(incoming, outgoing, request, options, { resolve, reject });
        exchanges.set(incoming, exchange);
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

/** Routes httpxy's events to the exchange of their request. */
function exchangeEvents(exchanges: WeakMap<IncomingMessage, Exchange>, logger: Logger): Plugin {
  return (proxyServer) => {
    proxyServer.on('proxyReq', (upstreamRequest, incoming) => {
      exchanges.get(incoming)?.upstreamRequestCreated(upstreamRequest);
    });
    proxyServer.on('proxyRes', (upstreamResponse, incoming) => {
      const exchange = exchanges.get(incoming);
      if (exchange === undefined) upstreamResponse.destroy();
      else exchange.responseArrived(upstreamResponse);
    });
    // A listener must exist: httpxy rejects (and HPM re-emits, which throws) when none does.
    proxyServer.on('error', (error, incoming) => {
      const exchange = incoming === undefined ? undefined : exchanges.get(incoming);
      if (exchange === undefined)
        logger.warn({ errorCode: failureCode(error) }, 'proxy error outside an exchange');
      else exchange.failed(error);
    });
  };
}
