// The Redis store against a real redis-server: the shared contract, expiries, one round trip, outages.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { RedisStore } from '../../src/session/redis-store.ts';
import { absoluteDeadlineField } from '../../src/session/store-arguments.ts';
import type { Store } from '../../src/session/store.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { describeStoreContract } from './store-contract.ts';
import { closedOrigin } from '../support/loopback-server.ts';

const longMs = 60_000;
/** The store's default command timeout is 2 s; a failure must surface well before a browser gives up. */
const failFastLimitMs = 3_000;

let redis: TestRedis;
const inMs = (milliseconds: number): number => Date.now() + milliseconds;

beforeAll(async () => {
  redis = await startRedis();
  // The direct client loses its connection whenever a test stops Redis on purpose; it reconnects by itself.
  redis.client.on('error', () => undefined);
});
afterAll(async () => {
  await redis.close();
});

function captureLogs(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('debug', { write: (line: string) => lines.push(line) }), lines };
}

/** Commands fail fast until the connection is ready, so a new store is polled until it answers. */
async function waitUntilReady(store: Store, withinMs = 5_000): Promise<void> {
  const deadline = inMs(withinMs);
  for (;;) {
    try {
      await store.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(25);
    }
  }
}

async function openStore(logger = captureLogs().logger): Promise<RedisStore> {
  const store = new RedisStore({ url: redis.url, logger });
  await waitUntilReady(store);
  return store;
}

describeStoreContract('RedisStore', () => openStore());

describe('RedisStore on a real Redis', () => {
  const logs = captureLogs();
  let store: RedisStore;
  const key = (label: string): string => `redis-store:${label}:${randomUUID()}`;

  beforeAll(async () => {
    store = await openStore(logs.logger);
  });
  afterAll(async () => {
    await store.close();
  });

  it('a failed command never carries the values it was sent in its cause (it may be logged)', async () => {
    const claimKey = key('wrongtype');
    expect(await store.claimOnce(claimKey, 60_000)).toBe(true);
    const failure = await store
      .updateSession(claimKey, { 'tokens:graph': 'SEALED-SECRET-VALUE' })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(GatewayError);
    expect(inspect((failure as GatewayError).cause, { depth: 6 })).not.toContain(
      'SEALED-SECRET-VALUE',
    );
  });

  it('a failed compare-and-set or lock release never carries its values in the cause either', async () => {
    const lockKey = key('wrongtype-lock');
    const sessionKey = key('wrongtype-session');
    expect(await store.acquireLock(lockKey, 'OWNER-SECRET-TOKEN', longMs)).toBe(true);
    await store.createSession(sessionKey, { user: 'alice' }, inMs(longMs), inMs(longMs));
    const calls = {
      replaceSessionFields: () =>
        store.replaceSessionFields(
          lockKey,
          { field: 'tokens:graph', value: 'EXPECTED-SECRET-VALUE' },
          { 'tokens:graph': 'SEALED-SECRET-VALUE' },
          [],
        ),
      releaseLock: () =>
        store.releaseLock(sessionKey, 'OWNER-SECRET-TOKEN', {
          value: 'OUTCOME-SECRET-VALUE',
          ttlMs: longMs,
        }),
    };
    for (const [method, call] of Object.entries(calls)) {
      const failure = await call().then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure, method).toBeInstanceOf(GatewayError);
      const cause = inspect((failure as GatewayError).cause, { depth: 6 });
      expect(cause, method).not.toMatch(/SECRET/);
    }
  });

  it('every key written carries an expiry', async () => {
    const sessionKey = key('session');
    const claimKey = key('claim');
    const ttlOf = (target: string): Promise<number> => redis.client.pttl(target);
    await store.createSession(sessionKey, { user: 'alice' }, inMs(longMs), inMs(longMs));
    expect(await ttlOf(sessionKey)).toBeGreaterThan(0);
    await store.updateSession(sessionKey, { 'tokens:graph': 'sealed' });
    expect(await ttlOf(sessionKey)).toBeGreaterThan(0);
    await store.readSession(sessionKey, ['user'], inMs(longMs));
    expect(await ttlOf(sessionKey)).toBeGreaterThan(0);
    await store.deleteSessionFields(sessionKey, ['tokens:graph']);
    expect(await ttlOf(sessionKey)).toBeGreaterThan(0);
    expect(await store.claimOnce(claimKey, longMs)).toBe(true);
    expect(await ttlOf(claimKey)).toBeGreaterThan(0);
    expect(await ttlOf(claimKey)).toBeLessThanOrEqual(longMs);

    const lockKey = key('lock');
    expect(await store.acquireLock(lockKey, 'owner', longMs)).toBe(true);
    expect(await ttlOf(lockKey)).toBeGreaterThan(0);
    expect(await ttlOf(lockKey)).toBeLessThanOrEqual(longMs);
    expect(await store.releaseLock(lockKey, 'owner', { value: 'refreshed', ttlMs: 5_000 })).toBe(
      true,
    );
    expect(await ttlOf(lockKey)).toBeGreaterThan(0);
    expect(await ttlOf(lockKey)).toBeLessThanOrEqual(5_000);
    const sessionTtlBefore = await ttlOf(sessionKey);
    const expected = { field: 'user', value: 'alice' };
    expect(
      await store.replaceSessionFields(sessionKey, expected, { user: 'bob' }, ['user:extra']),
    ).toBe(true);
    // Kept, not refreshed: a token refresh never extends the session.
    expect(await ttlOf(sessionKey)).toBeGreaterThan(0);
    expect(await ttlOf(sessionKey)).toBeLessThanOrEqual(sessionTtlBefore);

    // Every key in the database, the contract suite's included, was written by a store.
    const written = await redis.client.keys('*');
    expect(written.length).toBeGreaterThan(2);
    for (const writtenKey of written) expect(await ttlOf(writtenKey)).toBeGreaterThan(0);
  });

  it('the expiry is set to the earlier of the idle and absolute deadlines on create and on every read', async () => {
    const sessionKey = key('expiry');
    await store.createSession(sessionKey, { user: 'alice' }, inMs(10_000), inMs(5_000));
    expect(await redis.client.pttl(sessionKey)).toBeGreaterThan(4_000);
    expect(await redis.client.pttl(sessionKey)).toBeLessThanOrEqual(5_000);
    await store.readSession(sessionKey, [], inMs(20_000));
    expect(await redis.client.pttl(sessionKey)).toBeGreaterThan(9_000);
    expect(await redis.client.pttl(sessionKey)).toBeLessThanOrEqual(10_000);
    await store.readSession(sessionKey, [], inMs(3_000));
    expect(await redis.client.pttl(sessionKey)).toBeLessThanOrEqual(3_000);
  });

  it('the absolute deadline lives in the reserved hash field', async () => {
    const sessionKey = key('reserved');
    const absoluteDeadlineMs = inMs(longMs);
    await store.createSession(sessionKey, { user: 'alice' }, absoluteDeadlineMs, inMs(longMs));
    expect(await redis.client.hgetall(sessionKey)).toEqual({
      [absoluteDeadlineField]: String(absoluteDeadlineMs),
      user: 'alice',
    });
  });

  it('a hash past its absolute deadline is answered null and deleted even before Redis expires it', async () => {
    const sessionKey = key('past-deadline');
    await redis.client.hset(
      sessionKey,
      absoluteDeadlineField,
      String(Date.now() - 1),
      'user',
      'alice',
    );
    await redis.client.pexpire(sessionKey, longMs);
    expect(await store.readSession(sessionKey, ['user'], inMs(longMs))).toBeNull();
    expect(await redis.client.exists(sessionKey)).toBe(0);
  });

  it('a hash past its absolute deadline is not handed out by takeSession either, and is deleted', async () => {
    const sessionKey = key('take-past-deadline');
    await redis.client.hset(sessionKey, absoluteDeadlineField, String(Date.now() - 1), 'user', 'x');
    await redis.client.pexpire(sessionKey, longMs);
    expect(await store.takeSession(sessionKey, ['user'])).toBeNull();
    expect(await redis.client.exists(sessionKey)).toBe(0);
  });

  it('a hot readSession is exactly one EVALSHA round trip', async () => {
    const sessionKey = key('round-trip');
    await store.createSession(sessionKey, { user: 'alice' }, inMs(longMs), inMs(longMs));
    // The first script call on a connection is sent as EVAL; the hot path is every call after it.
    await store.readSession(sessionKey, ['user'], inMs(longMs));

    const monitor = await redis.client.monitor();
    monitor.on('error', () => undefined);
    const seen: { command: string; source: string; args: string[] }[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      seen.push({ command: String(args[0]).toLowerCase(), source, args });
    });
    const mark = async (marker: string): Promise<number> => {
      await redis.client.echo(marker);
      for (;;) {
        const index = seen.findIndex(
          (entry) => entry.command === 'echo' && entry.args[1] === marker,
        );
        if (index !== -1) return index;
        await sleep(5);
      }
    };
    try {
      const start = await mark('before-read');
      const read = await store.readSession(sessionKey, ['user'], inMs(longMs));
      const end = await mark('after-read');
      expect(read?.values).toEqual(['alice']);
      const between = seen.slice(start + 1, end);
      expect(
        between.filter((entry) => entry.source !== 'lua').map((entry) => entry.command),
      ).toEqual(['evalsha']);
      expect(
        between
          .filter((entry) => entry.source === 'lua')
          .map((entry) => entry.command)
          .sort(),
      ).toEqual(['hmget', 'pexpireat']);
    } finally {
      monitor.disconnect();
    }
  });

  it('while Redis is down every method rejects with a 503 within the command timeout, and the same store recovers', async () => {
    const sessionKey = key('outage');
    const calls: Record<string, () => Promise<unknown>> = {
      readSession: () => store.readSession(sessionKey, ['user'], inMs(longMs)),
      createSession: () =>
        store.createSession(sessionKey, { user: 'alice' }, inMs(longMs), inMs(longMs)),
      updateSession: () => store.updateSession(sessionKey, { user: 'alice' }),
      deleteSessionFields: () => store.deleteSessionFields(sessionKey, ['user']),
      claimOnce: () => store.claimOnce(sessionKey, longMs),
      replaceSessionFields: () =>
        store.replaceSessionFields(sessionKey, { field: 'user', value: 'alice' }, {}, []),
      acquireLock: () => store.acquireLock(sessionKey, 'owner', longMs),
      readLock: () => store.readLock(sessionKey),
      releaseLock: () => store.releaseLock(sessionKey, 'owner'),
      delete: () => store.delete([sessionKey]),
      ping: () => store.ping(),
    };
    await redis.stop();
    try {
      for (const [method, call] of Object.entries(calls)) {
        const startedAt = performance.now();
        const failure = await call().then(
          () => new Error(`${method} resolved while Redis was down`),
          (error: unknown) => error,
        );
        expect(performance.now() - startedAt, method).toBeLessThan(failFastLimitMs);
        expect(failure, method).toBeInstanceOf(GatewayError);
        expect(failure, method).toMatchObject({ status: 503, code: 'store_unavailable' });
      }
    } finally {
      await redis.start();
    }
    await waitUntilReady(store);
    await store.createSession(sessionKey, { user: 'alice' }, inMs(longMs), inMs(longMs));
    expect((await store.readSession(sessionKey, ['user'], inMs(longMs)))?.values).toEqual([
      'alice',
    ]);
    const messages = logs.lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toContain('session store disconnected, reconnecting');
    expect(
      messages.filter((message) => message === 'session store connected').length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('a store created while Redis is down starts, fails fast, and works once Redis comes up', async () => {
    await redis.stop();
    const lateStore = new RedisStore({ url: redis.url, logger: captureLogs().logger });
    try {
      const startedAt = performance.now();
      await expect(lateStore.ping()).rejects.toMatchObject({
        status: 503,
        code: 'store_unavailable',
      });
      expect(performance.now() - startedAt).toBeLessThan(failFastLimitMs);
    } finally {
      await redis.start();
    }
    await waitUntilReady(lateStore);
    const claimKey = key('late');
    expect(await lateStore.claimOnce(claimKey, longMs)).toBe(true);
    expect(await lateStore.claimOnce(claimKey, longMs)).toBe(false);
    expect(await redis.client.pttl(claimKey)).toBeGreaterThan(0);
    await lateStore.close();
  });

  it('connection logs never contain the Redis URL or its password', async () => {
    const password = 'a-redis-password-never-logged';
    const url = `redis://gateway:${password}@${new URL(closedOrigin).host}`;
    const captured = captureLogs();
    const unreachable = new RedisStore({ url, logger: captured.logger });
    await sleep(300);
    await unreachable.close();
    expect(captured.lines.join('\n')).toContain('session store connection error');
    expect(captured.lines.join('\n')).not.toContain(password);
    expect(captured.lines.join('\n')).not.toContain('redis://');
  });
});
