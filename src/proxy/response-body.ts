// Where an upstream answer's body goes once its headers arrived: streamed into a writable with backpressure, read whole for the one-pass link rewrite, or read and discarded (an intercepted 401).
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { BodyPlan } from './response-links.ts';
import { upstreamBodyTimeoutError } from './upstream-failure.ts';

/** The body of one upstream answer, piece by piece, as undici delivers it. */
export interface ResponseBody {
  /** False pauses the upstream connection (the socket is not read) until the handler's `resume`. */
  chunk(chunk: Buffer): boolean;
  ended(): void;
  failed(error: unknown): void;
  /** The exchange cancelled its upstream request: nothing more will come; timers are let go. */
  cancelled(): void;
}

/** How an answer that cannot be completed ends (the exchange's failure handling). */
export interface BodyFailure {
  failed(error: unknown): void;
}

/**
 * Written as it comes into `destination` (the browser's response, or the first link-rewriting
 * stage): a `false` from `write` pauses the upstream connection until `drain`, so a slow browser
 * holds the upstream back instead of the gateway's memory filling up.
 */
export class StreamedBody implements ResponseBody {
  readonly #destination: Writable;
  readonly #resume: () => void;
  readonly #failure: BodyFailure;

  constructor(destination: Writable, resume: () => void, failure: BodyFailure) {
    this.#destination = destination;
    this.#resume = resume;
    this.#failure = failure;
  }

  chunk(chunk: Buffer): boolean {
    if (this.#destination.write(chunk)) return true;
    this.#destination.once('drain', this.#resume);
    return false;
  }

  ended(): void {
    this.#destination.end();
  }

  failed(error: unknown): void {
    this.#failure.failed(error);
  }

  cancelled(): void {
    this.#destination.off('drain', this.#resume);
  }
}

/**
 * A small body read whole, its links rewritten in one pass by the plan, then written with its head
 * in one step. An upstream that breaks off, or stalls (idle for the upstream limit), before the
 * body is complete is abandoned: the browser's connection is closed, as for a streamed body that
 * breaks off, never a short or made-up answer.
 */
export class WholeBody implements ResponseBody {
  readonly #plan: Extract<BodyPlan, { kind: 'whole' }>;
  readonly #status: number;
  readonly #headers: OutgoingHttpHeaders;
  readonly #outgoing: ServerResponse;
  readonly #abandon: (error: unknown) => void;
  readonly #chunks: Buffer[] = [];
  #receivedBytes = 0;
  readonly #stallTimer: NodeJS.Timeout;

  constructor(
    plan: Extract<BodyPlan, { kind: 'whole' }>,
    answer: { readonly status: number; readonly headers: OutgoingHttpHeaders },
    outgoing: ServerResponse,
    stallTimeoutMs: number,
    abandon: (error: unknown) => void,
  ) {
    this.#plan = plan;
    this.#status = answer.status;
    this.#headers = answer.headers;
    this.#outgoing = outgoing;
    this.#abandon = abandon;
    this.#stallTimer = setTimeout(
      () => abandon(upstreamBodyTimeoutError(stallTimeoutMs)),
      stallTimeoutMs,
    );
  }

  chunk(chunk: Buffer): boolean {
    this.#chunks.push(chunk);
    this.#receivedBytes += chunk.length;
    this.#stallTimer.refresh();
    return true;
  }

  ended(): void {
    clearTimeout(this.#stallTimer);
    const chunks = this.#chunks;
    try {
      const received =
        chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#receivedBytes);
      // undici ends an answer only once its Content-Length has arrived; checked anyway.
      if (received.length !== this.#plan.lengthBytes) throw new Error('body length mismatch');
      const body = this.#plan.complete(received, this.#headers);
      this.#outgoing.writeHead(this.#status, this.#headers);
      this.#outgoing.end(body);
    } catch (error) {
      this.#abandon(error);
    }
  }

  failed(error: unknown): void {
    clearTimeout(this.#stallTimer);
    this.#abandon(error);
  }

  cancelled(): void {
    clearTimeout(this.#stallTimer);
  }
}

/** How an intercepted 401's body ends: read to its end, or broken off. */
export interface DiscardedBodyOutcome {
  drained(): void;
  brokeOff(error: unknown): void;
}

/** Read and thrown away (an intercepted 401), so its connection goes back to the pool. */
export class DiscardedBody implements ResponseBody {
  readonly #outcome: DiscardedBodyOutcome;

  constructor(outcome: DiscardedBodyOutcome) {
    this.#outcome = outcome;
  }

  chunk(): boolean {
    return true;
  }

  ended(): void {
    this.#outcome.drained();
  }

  failed(error: unknown): void {
    this.#outcome.brokeOff(error);
  }

  cancelled(): void {
    // Nothing held: the exchange's drain timer is its own.
  }
}
