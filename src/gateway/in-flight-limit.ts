// Caps the proxied requests one session may have in flight in this process, so one browser cannot hold every upstream socket; the rest wait their turn, briefly.
import { GatewayError } from '../errors/gateway-error.ts';

/**
 * A browser sends at most a few dozen requests at once (HTTP/2 allows ~100 streams, HTTP/1.1
 * six connections); a session holding more is a runaway or an attacker starving the shared
 * keep-alive pool (256 sockets per upstream) so that every other user times out.
 */
export const maximumRequestsInFlightPerSession = 32;
/**
 * Requests past the cap wait in line rather than fail: twenty tabs firing at once after a token
 * expired must all succeed. The line is bounded so a runaway session cannot hold unbounded memory.
 */
export const maximumRequestsQueuedPerSession = 1024;

export interface InFlightLimit {
  /**
   * Counts one more request for `key`, waiting in line while `key` is at the cap. Rejects with 429
   * `too_many_requests` when the line is full or no slot freed within the wait bound. Resolves with
   * the slot's release (idempotent).
   */
  acquire(key: string): Promise<() => void>;
}

interface Waiter {
  grant(): void;
}

interface SessionSlots {
  inFlight: number;
  readonly line: Waiter[];
}

export function createInFlightLimit(options: {
  readonly maximum?: number;
  readonly maximumQueued?: number;
  /** How long a request waits in line for a slot before its 429. */
  readonly maximumWaitMs: number;
}): InFlightLimit {
  const maximum = options.maximum ?? maximumRequestsInFlightPerSession;
  const maximumQueued = options.maximumQueued ?? maximumRequestsQueuedPerSession;
  const sessions = new Map<string, SessionSlots>();
  const refused = () =>
    new GatewayError(
      429,
      'too_many_requests',
      `at most ${maximum} requests of one session may be in flight`,
      { retryAfterSeconds: 1 },
    );

  const releaseFor = (key: string, slots: SessionSlots) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = slots.line.shift();
      // The slot passes straight to the next in line: the count stays, nobody can jump the queue.
      if (next !== undefined) return next.grant();
      slots.inFlight -= 1;
      // Deleting at zero keeps the map as small as the number of busy sessions.
      if (slots.inFlight <= 0) sessions.delete(key);
    };
  };

  return {
    acquire(key) {
      let slots = sessions.get(key);
      if (slots === undefined) {
        slots = { inFlight: 0, line: [] };
        sessions.set(key, slots);
      }
      const session = slots;
      if (session.inFlight < maximum) {
        session.inFlight += 1;
        return Promise.resolve(releaseFor(key, session));
      }
      if (session.line.length >= maximumQueued) return Promise.reject(refused());
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          grant() {
            clearTimeout(timer);
            resolve(releaseFor(key, session));
          },
        };
        const timer = setTimeout(() => {
          const index = session.line.indexOf(waiter);
          if (index >= 0) session.line.splice(index, 1);
          reject(refused());
        }, options.maximumWaitMs);
        session.line.push(waiter);
      });
    },
  };
}
