// The caching store over a real Redis passes the same store contract as the Redis store itself: every write it forwards is seen by its next read.
import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { createStore } from '../../src/session/create-store.ts';
import type { Store } from '../../src/session/store.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { describeStoreContract } from './store-contract.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
  redis.client.on('error', () => undefined);
});
afterAll(async () => {
  await redis.close();
});

/** Polls until the store answers and its cache listens (a read is then served from memory). */
async function openCachedStore(): Promise<Store> {
  const store = createStore({
    redisUrl: redis.url,
    logger: createLogger('silent'),
    sessionCacheTtlMs: 5_000,
    keyPrefix: 'contract:',
  });
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      await store.ping();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  return store;
}

// A TTL longer than any of the contract's waits: a read the cache served wrongly would show.
describeStoreContract('CachedStore over Redis (SESSION_CACHE_TTL_S=5)', () => openCachedStore());
