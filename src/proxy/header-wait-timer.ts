// The wait for an upstream's response headers, measured as time without progress: while the browser's upload still arrives, the timer re-arms.
import type { IncomingMessage } from 'node:http';

/**
 * The upstream cannot be expected to answer before it has the request, so a slow upload is not
 * a slow upstream; once headers arrive the timer is stopped and a long body streams for as long
 * as it takes (contract §4: `UPSTREAM_TIMEOUT_S` bounds the response headers only).
 */
export class HeaderWaitTimer {
  readonly #incoming: IncomingMessage;
  readonly #timer: NodeJS.Timeout;
  #bytesReadAtLastCheck: number;

  constructor(incoming: IncomingMessage, timeoutMs: number, onTimeout: () => void) {
    this.#incoming = incoming;
    this.#bytesReadAtLastCheck = incoming.socket.bytesRead;
    this.#timer = setTimeout(() => {
      if (this.#uploadProgressed()) this.#timer.refresh();
      else onTimeout();
    }, timeoutMs);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  #uploadProgressed(): boolean {
    const bytesRead = this.#incoming.socket.bytesRead;
    if (this.#incoming.complete || bytesRead <= this.#bytesReadAtLastCheck) return false;
    this.#bytesReadAtLastCheck = bytesRead;
    return true;
  }
}
