// One-time handoff codes on both stores: bound to their handoff id, single use, expiring in the store itself, unreadable at rest.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { createHandoffCodes, handoffCodeTtlMs } from '../../src/session/handoff-codes.ts';
import { MemoryStore } from '../../src/session/memory-store.ts';
import { RedisStore } from '../../src/session/redis-store.ts';
import { createStoreKeys } from '../../src/session/store-keys.ts';
import type { Store } from '../../src/session/store.ts';
import { createTokenCipher } from '../../src/session/token-cipher.ts';
import { dumpStore } from '../support/store-dump.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';

const keys = createStoreKeys('bff:');
const handoffId = 'H'.repeat(43);
const otherHandoffId = 'O'.repeat(43);
const login = {
  provider: 'graph' as const,
  tokens: {
    accessToken: 'access-token-at-rest',
    refreshToken: 'refresh-token-at-rest',
    expiresAtMs: Date.now() + 3_600_000,
    scopes: ['User.Read'],
    subject: 'alice',
  },
  user: {
    sub: 'alice',
    name: 'Alice',
    email: 'alice@example.com',
    loginHint: null,
    tenantId: null,
    issuer: null,
    providerSessionId: null,
  },
};

let redis: TestRedis;
let redisStore: RedisStore;
beforeAll(async () => {
  redis = await startRedis();
  redisStore = new RedisStore({ url: redis.url, logger: createLogger('silent') });
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      await redisStore.ping();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(25);
    }
  }
});
afterAll(async () => {
  await redisStore.close();
  await redis.close();
});

function codesOn(store: Store, ttlMs?: number, now: () => number = Date.now) {
  return createHandoffCodes({
    store,
    cipher: createTokenCipher(['handoff-codes-test-key-0123456789-abcdef']),
    keys,
    logger: createLogger('silent'),
    now,
    ...(ttlMs === undefined ? {} : { ttlMs }),
  });
}

describe.each([
  ['MemoryStore', () => new MemoryStore() as Store],
  ['RedisStore', () => redisStore as Store],
])('handoff codes on the %s', (_name, openStore) => {
  it('issues 256-bit codes, each redeemed once, only with the handoff id it is bound to', async () => {
    const codes = codesOn(openStore());
    const code = await codes.issue(handoffId, login);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await codes.issue(handoffId, login)).not.toBe(code);
    // Another context's handoff id neither finds nor burns it.
    expect(await codes.redeem(otherHandoffId, code)).toBeNull();
    expect(await codes.redeem(handoffId, code)).toEqual(login);
    expect(await codes.redeem(handoffId, code)).toBeNull();
  });

  it('draws every character of a code at random: no position is the same in 32 codes', async () => {
    const codes = codesOn(openStore());
    const issued = await Promise.all(
      Array.from({ length: 32 }, () => codes.issue(handoffId, login)),
    );
    for (let position = 0; position < 43; position += 1)
      expect(new Set(issued.map((code) => code[position])).size).toBeGreaterThan(1);
  });

  it('hands a code to exactly one of many concurrent redemptions', async () => {
    const codes = codesOn(openStore());
    const code = await codes.issue(handoffId, login);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => codes.redeem(handoffId, code)),
    );
    expect(results.filter((result) => result !== null)).toHaveLength(1);
  });

  it('expires a code in the store itself once its life is over', async () => {
    // The gateway's clock stands still: only the store's own expiry can end the code here.
    const frozenNow = Date.now();
    const codes = codesOn(openStore(), 150, () => frozenNow);
    const code = await codes.issue(handoffId, login);
    await sleep(250);
    expect(await codes.redeem(handoffId, code)).toBeNull();
  });

  it("refuses a code past its life by the gateway's clock, whatever the store's clock says", async () => {
    let offsetMs = 0;
    const codes = codesOn(openStore(), undefined, () => Date.now() + offsetMs);
    const code = await codes.issue(handoffId, login);
    offsetMs = handoffCodeTtlMs + 1;
    expect(await codes.redeem(handoffId, code)).toBeNull();
  });
});

describe('handoff codes at rest in Redis', () => {
  it('keep neither the code, the handoff id, a token nor the user readable, and expire within 60 s', async () => {
    await redis.client.flushall();
    const code = await codesOn(redisStore).issue(handoffId, login);
    const dump = JSON.stringify(await dumpStore(redis));
    for (const secret of [
      code,
      handoffId,
      'access-token-at-rest',
      'refresh-token-at-rest',
      'alice',
    ])
      expect(dump.includes(secret), secret).toBe(false);
    const [key] = await redis.client.keys('bff:handoff:*');
    expect(key).toMatch(/^bff:handoff:[A-Za-z0-9_-]{43}$/);
    const timeToLive = await redis.client.pttl(key ?? '');
    expect(timeToLive).toBeGreaterThan(0);
    expect(timeToLive).toBeLessThanOrEqual(handoffCodeTtlMs);
  });

  it('refuses a record moved to another code’s key (the ciphertext is bound to its key)', async () => {
    const codes = codesOn(redisStore);
    const first = await codes.issue(handoffId, login);
    const second = await codes.issue(handoffId, login);
    const firstKey = keys.handoffCode(handoffId, first);
    const secondKey = keys.handoffCode(handoffId, second);
    const firstValue = await redis.client.hget(firstKey, 'login');
    await redis.client.hset(secondKey, 'login', firstValue ?? '');
    expect(await codes.redeem(handoffId, second)).toBeNull();
  });
});
