// Chooses the store: Redis when a URL is configured, otherwise the in-process memory store.
import type { Logger } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/gateway-metrics.ts';
import { MemoryStore } from './memory-store.ts';
import { RedisStore } from './redis-store.ts';
import type { Store } from './store.ts';

export function createStore(options: {
  redisUrl: string | null;
  logger: Logger;
  metrics?: GatewayMetrics;
}): Store {
  if (options.redisUrl !== null)
    return new RedisStore({
      url: options.redisUrl,
      logger: options.logger,
      metrics: options.metrics,
    });
  // Sessions held in one process vanish on restart and are unknown to any other replica.
  options.logger.warn(
    'no Redis URL configured: the in-memory session store serves one process only and loses sessions on restart',
  );
  return new MemoryStore();
}
