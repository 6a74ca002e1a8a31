// The caching store over a real Redis passes the same store contract as the Redis store itself: every write it forwards is seen by its next read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('CachedStore when the Redis user may not use the channel (an ACL)', () => {
  it.each([
    ['PUBLISH', '-publish'],
    ['SUBSCRIBE', '-subscribe'],
  ])(
    'denied %s: reads every session from Redis, loses nothing, and says why once',
    async (_command, rule) => {
      const user = `limited-${rule.slice(1)}`;
      await redis.client.call(
        'ACL',
        'SETUSER',
        user,
        'on',
        '>limited-secret',
        '~*',
        '&*',
        '+@all',
        rule,
      );
      const lines: string[] = [];
      const store = createStore({
        redisUrl: `redis://${user}:limited-secret@127.0.0.1:${redis.port}`,
        logger: createLogger('warn', { write: (line: string) => void lines.push(line) }),
        sessionCacheTtlMs: 5_000,
        keyPrefix: 'acl:',
      });
      try {
        await expect
          .poll(() =>
            store.ping().then(
              () => true,
              () => false,
            ),
          )
          .toBe(true);
        const key = `acl:session:${user}`;
        await store.createSession(key, { user: 'u' }, Date.now() + 60_000, Date.now() + 60_000);
        // Long enough for a subscription and its probe to have succeeded, were they allowed.
        await new Promise((resolve) => setTimeout(resolve, 300));
        for (let read = 0; read < 3; read += 1)
          expect((await store.readSession(key, ['user'], Date.now() + 60_000))?.values).toEqual([
            'u',
          ]);
        // Deleted behind the store's back (never announced): a cache would still serve it.
        await redis.client.del(key);
        expect(await store.readSession(key, ['user'], Date.now() + 60_000)).toBeNull();
        const warnings = lines.map(
          (line) => JSON.parse(line) as { msg: string; redisError?: string },
        );
        const cacheOff = warnings.filter((line) => line.msg.startsWith('session cache off'));
        expect(cacheOff).toHaveLength(1);
        expect(cacheOff[0]?.redisError).toBe('NOPERM');
        expect(lines.join('\n')).not.toContain('limited-secret');
      } finally {
        await store.close();
        await redis.client.call('ACL', 'DELUSER', user);
      }
    },
  );
});
