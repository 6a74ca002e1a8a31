// The browser's request body as undici reads it: pulled from the request only once undici writes the upstream request, with backpressure, and never destroying the browser's request.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/**
 * Why not hand undici `incoming` itself: undici destroys the body it was given once the request
 * ends or fails, and for an `IncomingMessage` it also sets `socket` to null first — the gateway
 * still answers on that connection (a 401 replay's 503, a 504) and reads `incoming.socket`. And
 * why pulled lazily: undici decides the framing from a stream that has already ended (its length,
 * sent as Content-Length); a chunked body that arrived whole while the request waited for a
 * connection would lose the chunked framing the browser used.
 */
export class IncomingBody extends Readable {
  readonly #incoming: IncomingMessage;
  #started = false;

  constructor(incoming: IncomingMessage) {
    super();
    this.#incoming = incoming;
  }

  override _read(): void {
    if (this.#started) {
      this.#incoming.resume();
      return;
    }
    this.#started = true;
    const incoming = this.#incoming;
    incoming.on('data', this.#onData);
    incoming.once('end', this.#onEnd);
    incoming.once('close', this.#onClose);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#detach();
    callback(error);
  }

  readonly #onData = (chunk: Buffer): void => {
    if (!this.push(chunk)) this.#incoming.pause();
  };

  readonly #onEnd = (): void => {
    this.#detach();
    this.push(null);
  };

  /** The browser went away before its body ended: the upstream request must not look complete. */
  readonly #onClose = (): void => {
    if (!this.#incoming.complete) this.destroy(new Error('the browser aborted its request body'));
  };

  #detach(): void {
    const incoming = this.#incoming;
    incoming.off('data', this.#onData);
    incoming.off('end', this.#onEnd);
    incoming.off('close', this.#onClose);
    // Paused and left unread: the gateway's answer closes the connection when the upload is not
    // complete (the exchange sets that), so the rest is never read as the next request.
    if (!incoming.readableEnded) incoming.pause();
  }
}
