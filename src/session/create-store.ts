// Chooses the store: Redis when a URL is configured (with the session read cache unless it is off), otherwise the in-process memory store.
import type { Logger } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/gateway-metrics.ts';
import { CachedStore } from './cached-store.ts';
import { MemoryStore } from './memory-store.ts';
import { RedisInvalidations } from './redis-invalidations.ts';
import { RedisStore } from './redis-store.ts';
import { SessionReadCache } from './session-read-cache.ts';
import type { Store } from './store.ts';

/**
 * Sessions the read cache holds at most: about 10,000 × a few KB of sealed tokens, tens of MB in
 * the worst case; a session read more than `ttlMs` ago is not held whatever this says.
 */
export const sessionCacheMaxSessions = 10_000;

export function createStore(options: {
  redisUrl: string | null;
  logger: Logger;
  metrics?: GatewayMetrics;
  /** SESSION_CACHE_TTL_S in ms; 0 (or absent): every read goes to Redis. */
  sessionCacheTtlMs?: number;
  /** REDIS_KEY_PREFIX: names the announcement channel. */
  keyPrefix?: string;
}): Store {
  if (options.redisUrl !== null) {
    const redis = new RedisStore({
      url: options.redisUrl,
      logger: options.logger,
      metrics: options.metrics,
    });
    const ttlMs = options.sessionCacheTtlMs ?? 0;
    if (ttlMs <= 0) return redis;
    const cache = new SessionReadCache({ ttlMs, maxSessions: sessionCacheMaxSessions });
    const invalidations = new RedisInvalidations({
      url: options.redisUrl,
      channel: `${options.keyPrefix ?? ''}session-writes`,
      cache,
      publish: (channel, message) => redis.publish(channel, message),
      watchStore: (listener) => redis.watchConnection(listener),
      logger: options.logger,
    });
    return new CachedStore(redis, cache, invalidations);
  }
  // Sessions held in one process vanish on restart and are unknown to any other replica.
  options.logger.warn(
    'no Redis URL configured: the in-memory session store serves one process only and loses sessions on restart',
  );
  return new MemoryStore();
}
