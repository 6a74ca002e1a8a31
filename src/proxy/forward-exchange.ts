// One forwarded request from start to end: the upstream request undici sends, the header timer, the answer (relayed or an intercepted 401) and how it settles, once.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { ForwarderOptions, ForwardOutcome, ForwardRequest } from './forwarder.ts';
import { returnableResponseHeaders } from './header-policy.ts';
import { HeaderWaitTimer } from './header-wait-timer.ts';
import { DiscardedBody, StreamedBody, WholeBody, type ResponseBody } from './response-body.ts';
import { chainedStages, type ResponseLinks } from './response-links.ts';
import {
  failureCode,
  toUpstreamGatewayError,
  upstreamHeaderTimeoutError,
} from './upstream-failure.ts';
import { UpstreamHandler, type UpstreamEvents } from './upstream-handler.ts';
import { joinedUpstreamPath, upstreamRequestOptions } from './upstream-request.ts';

export interface ExchangeSettlement {
  resolve(outcome: ForwardOutcome): void;
  reject(error: GatewayError): void;
}

/** The forwarder's options, with what it built from them once. */
export interface ExchangeOptions extends ForwarderOptions {
  /** The API base URL's path (`/base`), which every upstream path is appended to. */
  readonly basePath: string;
  /** Rewrites links back into the upstream (contract §6); null: answers relayed as they came. */
  readonly responseLinks: ResponseLinks | null;
}

/** Nothing is left for the caller to write (see `ForwardOutcome`). */
export const relayed: ForwardOutcome = Object.freeze({ kind: 'relayed' });

/** One forwarded request: its header timer, its upstream request, the answer's body, and how it ends. */
export class Exchange implements UpstreamEvents {
  readonly #incoming: IncomingMessage;
  readonly #outgoing: ServerResponse;
  readonly #options: ExchangeOptions;
  readonly #settlement: ExchangeSettlement;
  readonly #request: ForwardRequest;
  readonly #logFields: { readonly method: string; readonly upstreamPath: string };
  readonly #startedAt = performance.now();
  #handler: UpstreamHandler | undefined;
  #headerTimer: HeaderWaitTimer | undefined;
  /** Where the answer's body goes, once its headers arrived. */
  #body: ResponseBody | undefined;
  #status: number | undefined;
  /** The upstream answered (its headers arrived): its latency has been observed. */
  #answered = false;
  #settled = false;

  constructor(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    request: ForwardRequest,
    options: ExchangeOptions,
    settlement: ExchangeSettlement,
  ) {
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.#options = options;
    this.#settlement = settlement;
    this.#request = request;
    // Never the query: it carries OData filters with personal data (contract §5).
    const upstreamPath = request.upstreamPath.split('?', 1)[0] ?? '';
    this.#logFields = { method: incoming.method ?? 'GET', upstreamPath };
  }

  /** Starts the header timer and hands the request to the pool (sent at once on an idle connection). */
  begin(pool: Dispatcher): void {
    const { accessToken, upstreamPath, body } = this.#request;
    const timeoutMs = this.#options.upstreamTimeoutMs;
    this.#headerTimer = new HeaderWaitTimer(this.#incoming, timeoutMs, () =>
      this.failed(upstreamHeaderTimeoutError(timeoutMs)),
    );
    const path = joinedUpstreamPath(this.#options.basePath, upstreamPath);
    const handler = (this.#handler = new UpstreamHandler(this));
    // undici reports a request it refuses (an invalid header) to the handler's onError, as a 502.
    pool.dispatch(upstreamRequestOptions(this.#incoming, path, accessToken, body), handler);
  }

  /** Writes the upstream's status and policy-filtered headers in one step, unless the body is read whole first. */
  responseArrived(status: number, received: IncomingHttpHeaders, resume: () => void): boolean {
    this.#headerTimer?.stop();
    if (this.#settled) return false;
    this.#answered = true;
    this.#options.observeUpstream?.(status, (performance.now() - this.#startedAt) / 1000);
    if (status === 401 && this.#request.interceptUnauthorized === true) {
      this.#body = this.#intercept(received);
      return true;
    }
    try {
      const headers = returnableResponseHeaders(received);
      // Links back into the upstream now point at the gateway (contract §6); null: body as it came.
      const plan = this.#options.responseLinks?.prepare(this.#logFields.method, status, headers);
      this.#status = status;
      if (plan?.kind === 'whole') {
        const abandon = (error: unknown): void => this.#abandon(error);
        const timeoutMs = this.#options.upstreamTimeoutMs;
        this.#body = new WholeBody(plan, { status, headers }, this.#outgoing, timeoutMs, abandon);
        return true;
      }
      // writeHead marks the headers as sent at once: no upstream header can leak into a later problem.
      this.#outgoing.writeHead(status, headers);
      const destination =
        plan?.kind === 'stream'
          ? chainedStages(plan.stages, this.#outgoing, (error) => this.failed(error))
          : this.#outgoing;
      this.#body = new StreamedBody(destination, resume, this);
      return true;
    } catch (error) {
      this.failed(error);
      return false;
    }
  }

  bodyChunk(chunk: Buffer): boolean {
    return this.#body?.chunk(chunk) ?? false;
  }

  bodyEnded(): void {
    this.#body?.ended();
  }

  upstreamFailed(error: Error): void {
    if (this.#body === undefined) this.failed(error);
    else this.#body.failed(error);
  }

  /** The answer cannot be completed after the upstream's headers came: the browser's connection is closed. */
  #abandon(error: unknown): void {
    if (this.#settled) return;
    this.#settle();
    this.#cancelUpstream();
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
    this.#cancelUpstream();
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

  /** The response is finished, or the browser went away (its upstream request is then cancelled). */
  outgoingClosed(): void {
    if (this.#settled) return;
    this.#settle();
    this.#cancelUpstream();
    const outcome = this.#outgoing.writableFinished ? 'sent' : 'client went away';
    const durationMs = Math.round(performance.now() - this.#startedAt);
    this.#options.logger.debug({ ...this.#logFields, status: this.#status, durationMs }, outcome);
    this.#settlement.resolve(relayed);
  }

  /**
   * The caller refreshes and replays instead (contract §4): nothing is written, and the challenge
   * (RFC 9110 §11.6.1) is handed back, never relayed (ServiceNow's `Basic` pops a login dialog).
   * The 401 body is read to its end and discarded first, so its keep-alive connection is back in the
   * pool (RFC 9112 §9.3) before the replay asks for one; the upstream limit bounds that wait, and a
   * body that never ends (a hostile or broken upstream) is then cut, its connection closed.
   */
  #intercept(received: IncomingHttpHeaders): ResponseBody {
    this.#settle();
    this.#status = 401;
    this.#closeAfterAnswerIfUploadUnread();
    // Node's parser joined repeated challenges with ', ' (RFC 9110 §11.6.1 allows either form).
    const challenge = received['www-authenticate'] ?? null;
    const durationMs = Math.round(performance.now() - this.#startedAt);
    this.#options.logger.debug(
      { ...this.#logFields, status: 401, durationMs },
      'upstream 401 handed back',
    );
    let handedBack = false;
    const handBack = (outcome: ForwardOutcome): void => {
      clearTimeout(drainTimer);
      if (handedBack) return;
      handedBack = true;
      this.#settlement.resolve(outcome);
    };
    const drainTimer = setTimeout(() => {
      this.#cancelUpstream();
      handBack({ kind: 'unauthorized', challenge });
    }, this.#options.upstreamTimeoutMs);
    return new DiscardedBody({
      drained: () =>
        afterConnectionReturned(() =>
          handBack(this.#outgoing.destroyed ? relayed : { kind: 'unauthorized', challenge }),
        ),
      // A 401 that breaks off mid-body is an upstream failure after its answer began: the browser's
      // connection is closed, as for any answer that breaks off, and nothing is replayed.
      brokeOff: () => {
        this.#outgoing.destroy();
        handBack(relayed);
      },
    });
  }

  /**
   * The rest of an upload still arriving must not be read (it may be gigabytes) nor taken for the
   * next request on this connection: the gateway's answer closes it (RFC 9112 §9.6).
   */
  #closeAfterAnswerIfUploadUnread(): void {
    if (!this.#incoming.complete) this.#outgoing.shouldKeepAlive = false;
  }

  /** The upstream request is not needed any more: cancelled if it still runs, its body's timers let go. */
  #cancelUpstream(): void {
    this.#handler?.cancel();
    this.#body?.cancelled();
  }

  /** Ends the exchange once. */
  #settle(): void {
    this.#settled = true;
    this.#headerTimer?.stop();
  }
}

/**
 * Runs `callback` once undici has handed the connection of an answer that just ended back to its
 * pool: undici does that in an immediate it queues after the answer's last callback (client-h1.js
 * `onMessageComplete`: "wait a full event loop cycle to reuse this socket"), and until then the
 * pool counts the connection as busy and opens another one for a request dispatched meanwhile.
 * An immediate queued from an immediate runs on the next turn of the event loop, after it.
 */
function afterConnectionReturned(callback: () => void): void {
  setImmediate(() => setImmediate(callback));
}
