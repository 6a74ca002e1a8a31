// Caps the proxied requests one session may have in flight in this process, so one browser cannot hold every upstream socket.
import { GatewayError } from '../errors/gateway-error.ts';

/**
 * A browser sends at most a few dozen requests at once (HTTP/2 allows ~100 streams, HTTP/1.1
 * six connections); a session holding more is a runaway or an attacker starving the shared
 * keep-alive pool (256 sockets per upstream) so that every other user times out.
 */
export const maximumRequestsInFlightPerSession = 32;

export interface InFlightLimit {
  /** Counts one more request for `key`, or throws 429 `too_many_requests` at the cap. Returns its release. */
  acquire(key: string): () => void;
}

export function createInFlightLimit(maximum = maximumRequestsInFlightPerSession): InFlightLimit {
  const counts = new Map<string, number>();
  return {
    acquire(key) {
      const count = counts.get(key) ?? 0;
      if (count >= maximum) {
        throw new GatewayError(
          429,
          'too_many_requests',
          `at most ${maximum} requests of one session may be in flight`,
          {
            retryAfterSeconds: 1,
          },
        );
      }
      counts.set(key, count + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const remaining = (counts.get(key) ?? 1) - 1;
        // Deleting at zero keeps the map as small as the number of busy sessions.
        if (remaining <= 0) counts.delete(key);
        else counts.set(key, remaining);
      };
    },
  };
}
