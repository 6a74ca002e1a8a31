// undici's dispatch handler for one exchange: turns its callbacks into the exchange's events, and lets go of the exchange the moment the upstream request ends or is cancelled.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { HeldRequest } from './upstream-pool.ts';
import { responseHeadersOf } from './upstream-response-headers.ts';

/** What an exchange hears of its upstream request. */
export interface UpstreamEvents {
  /** Status and headers of the final answer; false pauses the upstream connection until `resume`. */
  responseArrived(status: number, headers: IncomingHttpHeaders, resume: () => void): boolean;
  /** A piece of the body; false pauses the upstream connection until `resume`. */
  bodyChunk(chunk: Buffer): boolean;
  bodyEnded(): void;
  /** Before the headers (unreachable, refused, broken) or after them (the body broke off). */
  upstreamFailed(error: Error): void;
}

/** Thrown from `onConnect` for a request cancelled while it waited for a connection (never seen: its exchange has ended). */
const cancelledBeforeSending = Object.assign(
  new Error('the exchange ended before its request was sent'),
  {
    code: 'ERR_UPSTREAM_REQUEST_CANCELLED',
  },
);

/**
 * undici's callbacks in their original form (`onConnect` … `onComplete`): undici 7 runs every
 * request through these, and a handler of the newer `onRequestStart`/`onResponseStart` form is
 * wrapped into them, which would cost a wrapper, a controller and a second header object per
 * request. Nothing long-lived holds this handler past its request (undici drops it from the
 * connection's queue when the request ends), and it holds the exchange only while the request
 * runs: a finished exchange is unreachable from the pool, its connections, parsers and timers.
 */
export class UpstreamHandler implements Dispatcher.DispatchHandler, HeldRequest {
  #events: UpstreamEvents | null;
  #abort: ((error?: Error) => void) | null = null;
  /** The requests of the connection holding this one, while it runs. */
  #heldBy: Set<HeldRequest> | null = null;

  constructor(events: UpstreamEvents) {
    this.#events = events;
  }

  heldBy(requests: Set<HeldRequest>): void {
    this.#heldBy = requests;
    requests.add(this);
  }

  /**
   * The request is about to be written on a connection. One cancelled while it waited is refused
   * here by throwing: undici then drops it from the queue without writing it, and the connection
   * stays pooled (an `abort` would destroy that connection).
   */
  onConnect(abort: (error?: Error) => void): void {
    if (this.#events === null) throw cancelledBeforeSending;
    this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx interim answers (RFC 9110 §15.2) are not relayed: Node's client did not relay them either.
    if (statusCode < 200) return true;
    const events = this.#events;
    if (events === null) return false;
    return events.responseArrived(statusCode, responseHeadersOf(rawHeaders), resume);
  }

  onData(chunk: Buffer): boolean {
    return this.#events?.bodyChunk(chunk) ?? false;
  }

  onComplete(): void {
    const events = this.#events;
    this.#release();
    events?.bodyEnded();
  }

  onError(error: Error): void {
    const events = this.#events;
    this.#release();
    events?.upstreamFailed(error);
  }

  /**
   * The exchange has ended before its upstream request did: a request on a connection is aborted
   * (undici destroys that connection, so the upstream sees the request end), a request still
   * waiting for one is refused in `onConnect`. The exchange hears nothing more either way.
   */
  cancel(): void {
    const abort = this.#abort;
    this.#release();
    abort?.();
  }

  #release(): void {
    this.#events = null;
    this.#abort = null;
    this.#heldBy?.delete(this);
    this.#heldBy = null;
  }
}
