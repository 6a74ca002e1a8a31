// One forwarded request from start to end: the rewritten request httpxy copies, the header timer, the answer (relayed or an intercepted 401) and how it settles, once.
import type {
  ClientRequest,
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import { Readable } from 'node:stream';
import type { Options as ProxyOptions } from 'http-proxy-middleware';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { ForwarderOptions, ForwardOutcome, ForwardRequest } from './forwarder.ts';
import { forwardableRequestHeaders, returnableResponseHeaders } from './header-policy.ts';
import { HeaderWaitTimer } from './header-wait-timer.ts';
import type { ReplayableBody } from './replayable-body.ts';
import { pipeThrough, type BodyPlan, type ResponseLinks } from './response-links.ts';
import {
  failureCode,
  toUpstreamGatewayError,
  upstreamBodyTimeoutError,
  upstreamHeaderTimeoutError,
} from './upstream-failure.ts';

export interface ExchangeSettlement {
  resolve(outcome: ForwardOutcome): void;
  reject(error: GatewayError): void;
}

/** The forwarder's options, with what it built from them once. */
export interface ExchangeOptions extends ForwarderOptions {
  /** Rewrites links back into the upstream (contract §6); null: answers relayed as they came. */
  readonly responseLinks: ResponseLinks | null;
}

/** The per-request copy of the proxy options http-proxy-middleware hands httpxy. */
export type RequestProxyOptions = Pick<ProxyOptions, 'target' | 'buffer'>;

export type ProxyTarget = NonNullable<RequestProxyOptions['target']>;

/** Nothing is left for the caller to write (see `ForwardOutcome`). */
export const relayed: ForwardOutcome = Object.freeze({ kind: 'relayed' });

/** One forwarded request: its header timer, its upstream request once created, and how it ends. */
export class Exchange {
  readonly #incoming: IncomingMessage;
  readonly #outgoing: ServerResponse;
  readonly #options: ExchangeOptions;
  readonly #settlement: ExchangeSettlement;
  readonly #request: ForwardRequest;
  readonly #original: { readonly url: string | undefined; readonly headers: IncomingHttpHeaders };
  readonly #logFields: { readonly method: string; readonly upstreamPath: string };
  readonly #startedAt = performance.now();
  /** This exchange's own target object: httpxy names the request of every `error` event by it. */
  #target: ProxyTarget | undefined;
  #upstreamRequest: ClientRequest | undefined;
  #headerTimer: HeaderWaitTimer | undefined;
  #status: number | undefined;
  /** The upstream answered (its headers arrived): its latency has been observed. */
  #answered = false;
  #settled = false;
  /** No earlier send of this browser request: `incoming` has not been read. */
  readonly #firstSend: boolean;

  constructor(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    request: ForwardRequest,
    options: ExchangeOptions,
    settlement: ExchangeSettlement,
    firstSend: boolean,
  ) {
    this.#firstSend = firstSend;
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
    const { accessToken, upstreamPath, body } = this.#request;
    const headers = forwardableRequestHeaders(this.#original.headers, accessToken);
    if (body?.kind === 'buffered') {
      // The bytes held are the body, whatever framing the browser used: the same length on every send
      // (RFC 9112 §6.2), and no chunked framing left to disagree with it (RFC 9112 §6.3, smuggling).
      delete headers['transfer-encoding'];
      headers['content-length'] = String(body.bytes.length);
    }
    this.#incoming.headers = headers;
    // http-proxy-middleware calls `configure` (its pathRewrite) only for a non-empty url; httpxy reads '' as '/'.
    this.#incoming.url = upstreamPath === '' ? '/' : upstreamPath;
    const timeoutMs = this.#options.upstreamTimeoutMs;
    this.#headerTimer = new HeaderWaitTimer(this.#incoming, timeoutMs, () =>
      this.failed(upstreamHeaderTimeoutError(timeoutMs)),
    );
  }

  /**
   * Completes http-proxy-middleware's per-request copy of the options, just before httpxy reads it.
   * A fresh target object gives this exchange an identity httpxy hands back with each `error` event,
   * so a late error of an earlier exchange of the same browser request (a replay) is never taken for
   * this one's. A body already read (and no body at all, on a replay) is sent from a stream of its
   * own: `incoming` has been read (replayed, it has ended), and an ended stream piped into the
   * upstream request would never end it.
   */
  configure(requestOptions: RequestProxyOptions): void {
    const target = requestOptions.target;
    if (target !== undefined) {
      this.#target =
        typeof target === 'string' || target instanceof URL ? new URL(target) : { ...target };
      requestOptions.target = this.#target;
    }
    const body = this.#request.body;
    // A first send without a body pipes `incoming` itself, which ends at once: a stream of its own
    // per request would cost a Readable and its iterator on the hot path for nothing.
    if (body !== undefined && !(body.kind === 'none' && this.#firstSend))
      requestOptions.buffer = bodyStream(body);
  }

  /**
   * True for an event of this exchange, or one httpxy did not name (a pass that threw synchronously).
   * Were `configure` never called (another http-proxy-middleware), every event is taken, as before replays.
   */
  owns(target: unknown): boolean {
    return target === undefined || this.#target === undefined || target === this.#target;
  }

  upstreamRequestCreated(upstreamRequest: ClientRequest): void {
    this.#upstreamRequest = upstreamRequest;
    // httpxy sends a request with Transfer-Encoding with `Connection: close`; Node's agent would
    // still pool the socket if the upstream answered keep-alive, and the next request on it — any
    // user's — would meet a connection the gateway declared closed (RFC 9112 §9.6).
    if (/(^|,)\s*close\s*(,|$)/i.test(String(upstreamRequest.getHeader('connection') ?? '')))
      upstreamRequest.shouldKeepAlive = false;
    // It waited for a pooled socket past the end of this exchange: it must never be sent.
    if (this.#settled) upstreamRequest.destroy();
  }

  /** Writes the upstream's status and policy-filtered headers in one step, then streams the body. */
  responseArrived(upstreamResponse: IncomingMessage): void {
    this.#headerTimer?.stop();
    if (this.#settled) {
      upstreamResponse.destroy();
      return;
    }
    const status = upstreamResponse.statusCode ?? 502;
    this.#answered = true;
    this.#options.observeUpstream?.(status, (performance.now() - this.#startedAt) / 1000);
    if (status === 401 && this.#request.interceptUnauthorized === true) {
      this.#intercept(upstreamResponse);
      return;
    }
    let plan: BodyPlan | null;
    let headers: OutgoingHttpHeaders;
    try {
      headers = returnableResponseHeaders(upstreamResponse.headers);
      // Links back into the upstream now point at the gateway (contract §6); null: body as it came.
      plan = this.#options.responseLinks?.prepare(this.#logFields.method, status, headers) ?? null;
      // writeHead marks the headers as sent at once: no upstream header can leak into a later problem.
      if (plan?.kind !== 'whole') this.#outgoing.writeHead(status, headers);
    } catch (error) {
      this.failed(error);
      return;
    }
    this.#status = status;
    if (plan === null) upstreamResponse.pipe(this.#outgoing);
    else if (plan.kind === 'stream')
      pipeThrough(upstreamResponse, plan.stages, this.#outgoing, (error) => this.failed(error));
    else this.#relayWhole(upstreamResponse, status, headers, plan);
  }

  /**
   * A small body read whole, then written with its head in one step. An upstream that breaks off
   * or stalls (idle for the upstream limit) before the body is complete gets the browser's
   * connection closed, as a streamed body that breaks off does: httpxy already ties the browser's
   * response to the upstream's, so a problem answer could not be written in its place.
   */
  #relayWhole(
    upstreamResponse: IncomingMessage,
    status: number,
    headers: OutgoingHttpHeaders,
    plan: Extract<BodyPlan, { kind: 'whole' }>,
  ): void {
    const chunks: Buffer[] = [];
    let receivedBytes = 0;
    let ended = false;
    const timeoutMs = this.#options.upstreamTimeoutMs;
    const stallTimer = setTimeout(() => {
      this.#abandon(upstreamBodyTimeoutError(timeoutMs));
      upstreamResponse.destroy();
    }, timeoutMs);
    const brokeOff = (error?: unknown): void => {
      clearTimeout(stallTimer);
      // Built only when it happened: 'close' follows every complete answer too, and an Error costs a stack trace.
      if (!ended) this.#abandon(error ?? new Error('the upstream body broke off'));
    };
    upstreamResponse.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      receivedBytes += chunk.length;
      stallTimer.refresh();
    });
    upstreamResponse.once('error', brokeOff);
    upstreamResponse.once('close', () => brokeOff());
    upstreamResponse.once('end', () => {
      ended = true;
      clearTimeout(stallTimer);
      if (this.#settled) return;
      try {
        const received = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, receivedBytes);
        // Node's parser ends a response only once its Content-Length has arrived; checked anyway.
        if (received.length !== plan.lengthBytes) throw new Error('body length mismatch');
        const body = plan.complete(received, headers);
        this.#outgoing.writeHead(status, headers);
        this.#outgoing.end(body);
      } catch (error) {
        this.#abandon(error);
      }
    });
  }

  /** The answer cannot be completed after the upstream's headers came: the browser's connection is closed. */
  #abandon(error: unknown): void {
    if (this.#settled) return;
    this.#settle();
    this.#upstreamRequest?.destroy();
    this.#options.logger.warn(
      { ...this.#logFields, status: this.#status, errorCode: failureCode(error) },
      'upstream response failed before its body was complete',
    );
    this.#outgoing.destroy();
    this.#settlement.resolve(relayed);
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
      this.#settlement.resolve(relayed);
    } else if (!this.#outgoing.headersSent) {
      const gatewayError = toUpstreamGatewayError(error);
      if (!this.#answered)
        this.#options.observeUpstream?.(null, (performance.now() - this.#startedAt) / 1000);
      this.#options.logger.warn(
        { ...this.#logFields, status: gatewayError.status, errorCode },
        'upstream request failed',
      );
      this.#closeAfterAnswerIfUploadUnread();
      this.#settlement.reject(gatewayError);
    } else {
      this.#options.logger.warn(
        { ...this.#logFields, status: this.#status, errorCode },
        'upstream response failed after its headers were sent',
      );
      this.#outgoing.destroy();
      this.#settlement.resolve(relayed);
    }
  }

  /** The response is finished, or the browser went away (httpxy then destroys the upstream request). */
  outgoingClosed(): void {
    if (this.#settled) return;
    this.#settle();
    const outcome = this.#outgoing.writableFinished ? 'sent' : 'client went away';
    const durationMs = Math.round(performance.now() - this.#startedAt);
    this.#options.logger.debug({ ...this.#logFields, status: this.#status, durationMs }, outcome);
    this.#settlement.resolve(relayed);
  }

  /**
   * The caller refreshes and replays instead (contract §4): nothing is written, and the challenge
   * (RFC 9110 §11.6.1) is handed back, never relayed (ServiceNow's `Basic` pops a login dialog).
   * The 401 body is read to its end and discarded first, so its keep-alive connection is back in the
   * pool (RFC 9112 §9.3) before the replay asks for one; the upstream limit bounds that wait.
   */
  #intercept(upstreamResponse: IncomingMessage): void {
    this.#settle();
    this.#status = 401;
    this.#closeAfterAnswerIfUploadUnread();
    const challenge = upstreamResponse.headersDistinct['www-authenticate']?.join(', ') ?? null;
    const durationMs = Math.round(performance.now() - this.#startedAt);
    this.#options.logger.debug(
      { ...this.#logFields, status: 401, durationMs },
      'upstream 401 handed back',
    );
    const drained = (): void => {
      clearTimeout(drainTimer);
      // A 401 that broke off mid-body makes httpxy destroy the browser's connection: nothing to answer.
      this.#settlement.resolve(
        this.#outgoing.destroyed ? relayed : { kind: 'unauthorized', challenge },
      );
    };
    // A 401 body that never ends (a hostile or broken upstream) is not waited for, nor read
    // forever: it is cut once the browser's exchange is over (cutting it now would make httpxy
    // close the browser's connection before the replay could answer).
    const drainTimer = setTimeout(() => {
      drained();
      this.#outgoing.once('close', () => upstreamResponse.destroy());
    }, this.#options.upstreamTimeoutMs);
    upstreamResponse.once('end', drained).once('close', drained).resume();
  }

  /**
   * The rest of an upload still arriving must not be read (it may be gigabytes) nor taken for the
   * next request on this connection: the gateway's answer closes it (RFC 9112 §9.6).
   */
  #closeAfterAnswerIfUploadUnread(): void {
    if (!this.#incoming.complete) this.#outgoing.shouldKeepAlive = false;
  }

  /** Ends the exchange once; hands the gateway back the request as it received it (Hono reads `incoming.headers`). */
  #settle(): void {
    this.#settled = true;
    this.#headerTimer?.stop();
    this.#incoming.url = this.#original.url;
    this.#incoming.headers = this.#original.headers;
  }
}

/** The same bytes on every send, from a stream of their own. */
function bodyStream(body: ReplayableBody): Readable {
  // objectMode off: the upstream request receives the Buffer as bytes, one chunk.
  return Readable.from(body.kind === 'buffered' ? [body.bytes] : [], { objectMode: false });
}
