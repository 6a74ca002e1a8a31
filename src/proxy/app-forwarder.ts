// Streams a browser's page request to the SPA's own server (APP_UPSTREAM_URL) and its answer back: no token, no gateway cookie, on a keep-alive pool.
import {
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Logger } from '../observability/logger.ts';
import {
  appRequestHeaders,
  appResponseHeaders,
  type GatewayCookieTest,
} from './app-header-policy.ts';
import { HeaderWaitTimer } from './header-wait-timer.ts';
import { createKeepAliveAgent, validatedApiUrl } from './upstream-agent.ts';
import {
  failureCode,
  toUpstreamGatewayError,
  upstreamHeaderTimeoutError,
} from './upstream-failure.ts';

export interface AppForwarderOptions {
  /** The app server's base URL; a request for `/x` goes to `${base path}/x`. */
  readonly appUrl: URL;
  /** PUBLIC_URL: the host and scheme stated to the app in `X-Forwarded-Host` / `-Proto`. */
  readonly publicUrl: URL;
  /** Limit on the app server's response headers (UPSTREAM_TIMEOUT_S); never on a body already streaming. */
  readonly upstreamTimeoutMs: number;
  readonly isGatewayCookie: GatewayCookieTest;
  /** Gateway headers (HSTS) added to an answer that does not carry its own. */
  readonly responseHeadersWhenAbsent: Readonly<Record<string, string>>;
  readonly logger: Logger;
}

export interface AppForwarder {
  /**
   * Resolves once the app's answer was relayed or the browser went away. Rejects with a
   * GatewayError (405, 400, 502 `upstream_unreachable`, 504 `upstream_timeout`) only while nothing
   * has been written to `outgoing`; a failure after the headers destroys the connection instead.
   */
  forward(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void>;
  /** Destroys the keep-alive agent's sockets. */
  close(): void;
}

/** TRACE/TRACK echo the request (the app's HttpOnly cookies included) into a body: Cross-Site Tracing. CONNECT tunnels. */
const methodsNeverForwarded: ReadonlySet<string> = new Set(['TRACE', 'TRACK', 'CONNECT']);

export function createAppForwarder(options: AppForwarderOptions): AppForwarder {
  const target = validatedApiUrl(options.appUrl);
  const agent = createKeepAliveAgent(target);
  const basePath = target.pathname.replace(/\/+$/, '');
  const facts = {
    publicHost: options.publicUrl.host,
    publicProtocol:
      options.publicUrl.protocol === 'https:' ? ('https' as const) : ('http' as const),
  };
  return {
    forward(incoming, outgoing) {
      return new Promise<void>((resolve, reject) => {
        if (outgoing.destroyed || outgoing.writableEnded) return resolve();
        const method = incoming.method ?? 'GET';
        if (methodsNeverForwarded.has(method)) {
          return reject(
            new GatewayError(405, 'method_not_allowed', `the ${method} method is never forwarded`),
          );
        }
        const requestTarget = incoming.url ?? '';
        // Origin-form only (RFC 9112 §3.2.1): an absolute-form target must not pick another host.
        if (!requestTarget.startsWith('/')) {
          return reject(new GatewayError(400, 'invalid_path', 'the request target must be a path'));
        }
        const headers = appRequestHeaders(incoming.headers, options.isGatewayCookie, {
          ...facts,
          clientAddress: incoming.socket.remoteAddress,
        });
        headers.host = target.host;
        const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
        const upstreamRequest = send(target, {
          method,
          path: basePath + requestTarget,
          headers,
          agent,
        });
        new AppExchange(incoming, outgoing, upstreamRequest, options, { resolve, reject }).start();
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** One page request on its way to the app server and back; settles its promise once. */
class AppExchange {
  readonly #incoming: IncomingMessage;
  readonly #outgoing: ServerResponse;
  readonly #upstreamRequest: ClientRequest;
  readonly #options: AppForwarderOptions;
  readonly #settlement: { resolve(): void; reject(error: GatewayError): void };
  /** Never the query: it may carry personal data (contract §5). */
  readonly #logFields: { readonly method: string; readonly path: string };
  #headerTimer: HeaderWaitTimer | undefined;
  #settled = false;

  constructor(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    upstreamRequest: ClientRequest,
    options: AppForwarderOptions,
    settlement: { resolve(): void; reject(error: GatewayError): void },
  ) {
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.#upstreamRequest = upstreamRequest;
    this.#options = options;
    this.#settlement = settlement;
    const path = (incoming.url ?? '').split('?', 1)[0] ?? '';
    this.#logFields = { method: incoming.method ?? 'GET', path };
  }

  start(): void {
    this.#upstreamRequest.on('response', (response) => this.#responseArrived(response));
    this.#upstreamRequest.on('error', (error) => this.#failed(error));
    // The browser went away (or the answer is complete): nothing more to send either way.
    this.#outgoing.once('close', () => this.#outgoingClosed());
    this.#incoming.once('error', (error) => this.#failed(error));
    const timeoutMs = this.#options.upstreamTimeoutMs;
    // Time without progress, as for the API proxy: an upload still arriving re-arms the timer.
    this.#headerTimer = new HeaderWaitTimer(this.#incoming, timeoutMs, () =>
      this.#failed(upstreamHeaderTimeoutError(timeoutMs)),
    );
    // Streamed as it arrives, with backpressure: never read whole into memory.
    this.#incoming.pipe(this.#upstreamRequest);
  }

  #responseArrived(response: IncomingMessage): void {
    this.#headerTimer?.stop();
    if (this.#settled) {
      response.destroy();
      return;
    }
    const status = response.statusCode ?? 502;
    try {
      // Redirects included: a 3xx and its Location go back untouched, never followed here.
      this.#outgoing.writeHead(
        status,
        appResponseHeaders(
          response.headers,
          this.#options.isGatewayCookie,
          this.#options.responseHeadersWhenAbsent,
        ),
      );
    } catch (error) {
      response.destroy();
      this.#failed(error);
      return;
    }
    // A body cut off mid-way must not look complete to the browser: its connection is closed too.
    response.once('error', () => undefined);
    response.once('close', () => {
      if (!response.complete) this.#outgoing.destroy();
    });
    response.pipe(this.#outgoing);
  }

  #failed(error: unknown): void {
    const errorCode = failureCode(error);
    if (this.#settled) {
      this.#options.logger.debug({ ...this.#logFields, errorCode }, 'late app server event');
      return;
    }
    this.#settle();
    this.#incoming.unpipe(this.#upstreamRequest);
    this.#upstreamRequest.destroy();
    if (this.#outgoing.destroyed) {
      this.#settlement.resolve();
    } else if (!this.#outgoing.headersSent) {
      const classified = toUpstreamGatewayError(error);
      this.#options.logger.warn(
        { ...this.#logFields, status: classified.status, errorCode },
        'app server request failed',
      );
      // The rest of an unread upload must not be taken for the next request (RFC 9112 §9.6).
      if (!this.#incoming.complete) this.#outgoing.shouldKeepAlive = false;
      this.#settlement.reject(
        new GatewayError(
          classified.status,
          classified.code,
          classified.status === 504
            ? 'the app server did not answer in time'
            : 'the app server could not be reached',
          { cause: error },
        ),
      );
    } else {
      this.#options.logger.warn(
        { ...this.#logFields, errorCode },
        'app server response failed after its headers were sent',
      );
      this.#outgoing.destroy();
      this.#settlement.resolve();
    }
  }

  #outgoingClosed(): void {
    if (!this.#outgoing.writableFinished) this.#upstreamRequest.destroy();
    if (this.#settled) return;
    this.#settle();
    this.#settlement.resolve();
  }

  #settle(): void {
    this.#settled = true;
    this.#headerTimer?.stop();
  }
}
