// The Redis connection's state in the log: transitions once each, never every retry, and never the URL.
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';

/**
 * Logs transitions, not every retry: while Redis stays down ioredis reports an error and a
 * reconnection every two seconds, which would drown the log. Each distinct error is logged once
 * per outage (a stalled Redis alternates a socket timeout and a handshake timeout). The listener
 * also keeps ioredis' 'error' events from being unhandled, which would crash the process.
 * Messages never include the URL.
 */
export function logConnectionState(client: Redis, logger: Logger): void {
  let connected = false;
  const errorsThisOutage = new Set<string>();
  let reconnecting = false;
  client.on('ready', () => {
    connected = true;
    errorsThisOutage.clear();
    reconnecting = false;
    logger.info('session store connected');
  });
  client.on('error', (error: Error) => {
    if (errorsThisOutage.has(error.message)) return;
    errorsThisOutage.add(error.message);
    logger.warn({ error: error.message }, 'session store connection error');
  });
  client.on('reconnecting', (delayMs: number) => {
    if (reconnecting) return;
    reconnecting = true;
    const message = connected
      ? 'session store disconnected, reconnecting'
      : 'session store reconnecting';
    logger.warn({ delayMs }, message);
  });
}
