// The one contract every Store passes: run by the memory and the Redis test files alike.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import { absoluteDeadlineField } from '../../src/session/store-arguments.ts';
import type { Store } from '../../src/session/store.ts';

/** Long enough that a slow CI machine never crosses it by accident. */
const longMs = 60_000;
/** Short expiries the tests wait out; wide gaps between checks tolerate scheduling jitter. */
const shortMs = 400;

/** Values that must come back byte for byte: multi-byte UTF-8, combining marks, control characters. */
const awkwardValues = [
  '',
  'plain ascii',
  'ünïcödé — 日本語 — 🔐🍪',
  'e\u0301 (combining) and \u00e9 (precomposed)',
  'line\nbreak\ttab\r\n\u0000nul',
  ' leading and trailing spaces ',
  '{"json":"[1,2,3]","nested":{"a":null}}',
  'x'.repeat(64 * 1024),
];

const inMs = (milliseconds: number): number => Date.now() + milliseconds;

export function describeStoreContract(name: string, factory: () => Store | Promise<Store>): void {
  describe(`${name} (store contract)`, () => {
    let store: Store;
    const key = (label: string): string => `contract:${label}:${randomUUID()}`;
    /** Creates a session whose deadlines are `absoluteMs` and `idleMs` from now. */
    const create = (
      sessionKey: string,
      fields: Record<string, string>,
      { absoluteMs = longMs, idleMs = longMs } = {},
    ): Promise<void> => store.createSession(sessionKey, fields, inMs(absoluteMs), inMs(idleMs));
    /** The values read (sliding the idle deadline to `idleMs` from now), or null when the session is gone. */
    const read = async (
      sessionKey: string,
      fields: string[],
      idleMs = longMs,
    ): Promise<readonly (string | null)[] | null> =>
      (await store.readSession(sessionKey, fields, inMs(idleMs)))?.values ?? null;

    beforeAll(async () => {
      store = await factory();
    });
    afterAll(async () => {
      await store.close();
    });

    describe('readSession', () => {
      it('returns the absolute deadline and the requested fields in order, null where absent', async () => {
        const sessionKey = key('read');
        const absoluteDeadlineMs = inMs(longMs);
        await store.createSession(
          sessionKey,
          { user: 'alice', 'tokens:graph': 'sealed' },
          absoluteDeadlineMs,
          inMs(longMs),
        );
        const result = await store.readSession(
          sessionKey,
          ['tokens:graph', 'missing', 'user'],
          inMs(longMs),
        );
        expect(result).toEqual({ absoluteDeadlineMs, values: ['sealed', null, 'alice'] });
      });

      it('returns null for a session that does not exist', async () => {
        expect(await read(key('absent'), ['user'])).toBeNull();
      });

      it('slides the idle expiry forward on every read', async () => {
        const sessionKey = key('slide');
        await create(sessionKey, { user: 'alice' }, { idleMs: shortMs });
        await sleep(shortMs / 2);
        expect(await read(sessionKey, ['user'], shortMs * 3)).toEqual(['alice']);
        await sleep(shortMs);
        // Past the idle deadline set at creation, alive thanks to the read.
        expect(await read(sessionKey, ['user'], shortMs)).toEqual(['alice']);
        await sleep(shortMs * 2);
        expect(await read(sessionKey, ['user'])).toBeNull();
      });

      it('never slides the expiry past the absolute deadline', async () => {
        const sessionKey = key('absolute');
        await create(sessionKey, { user: 'alice' }, { absoluteMs: shortMs, idleMs: shortMs / 2 });
        expect(await read(sessionKey, ['user'])).toEqual(['alice']);
        await sleep(shortMs * 2);
        expect(await read(sessionKey, ['user'])).toBeNull();
        expect(await store.updateSession(sessionKey, { user: 'mallory' })).toBe(false);
      });

      it('answers null for a session whose absolute deadline has passed, and deletes it', async () => {
        const sessionKey = key('dead');
        await create(sessionKey, { user: 'alice' }, { absoluteMs: -1_000 });
        expect(await read(sessionKey, ['user'])).toBeNull();
        expect(await store.updateSession(sessionKey, { user: 'mallory' })).toBe(false);
      });

      it('round-trips values byte for byte, unicode included', async () => {
        const sessionKey = key('bytes');
        const fields = Object.fromEntries(
          awkwardValues.map((value, index) => [`field:${index}`, value]),
        );
        await create(sessionKey, fields);
        expect(await read(sessionKey, Object.keys(fields))).toEqual(awkwardValues);
      });
    });

    describe('createSession', () => {
      it('replaces every field of an existing session rather than merging', async () => {
        const sessionKey = key('replace');
        await create(sessionKey, { user: 'alice', 'tokens:graph': 'old' });
        const absoluteDeadlineMs = inMs(longMs * 2);
        await store.createSession(sessionKey, { user: 'bob' }, absoluteDeadlineMs, inMs(longMs));
        const result = await store.readSession(sessionKey, ['user', 'tokens:graph'], inMs(longMs));
        expect(result).toEqual({ absoluteDeadlineMs, values: ['bob', null] });
      });

      it('sets an expiry: an unread session disappears at its idle deadline', async () => {
        const sessionKey = key('idle');
        await create(sessionKey, { user: 'alice' }, { idleMs: shortMs });
        await sleep(shortMs * 2);
        expect(await read(sessionKey, ['user'])).toBeNull();
      });

      it('refuses the reserved absolute-deadline field name in writes and reads', async () => {
        const sessionKey = key('reserved');
        await expect(create(sessionKey, { [absoluteDeadlineField]: '0' })).rejects.toThrow(
          /reserved/,
        );
        expect(await read(sessionKey, [])).toBeNull();
        await expect(read(sessionKey, [absoluteDeadlineField])).rejects.toThrow(/reserved/);
      });
    });

    describe('updateSession', () => {
      it('sets fields of an existing session and keeps the others', async () => {
        const sessionKey = key('update');
        await create(sessionKey, { user: 'alice', 'tokens:graph': 'old' });
        const updates = { 'tokens:graph': 'new', 'tokens:servicenow': 'sn' };
        expect(await store.updateSession(sessionKey, updates)).toBe(true);
        const fields = ['user', 'tokens:graph', 'tokens:servicenow'];
        expect(await read(sessionKey, fields)).toEqual(['alice', 'new', 'sn']);
      });

      it('returns false and writes nothing when the session is gone', async () => {
        const sessionKey = key('update-missing');
        expect(await store.updateSession(sessionKey, { user: 'mallory' })).toBe(false);
        expect(await read(sessionKey, ['user'])).toBeNull();
        // No key of any kind was written: the key is still free to claim.
        expect(await store.claimOnce(sessionKey, longMs)).toBe(true);
      });

      it('keeps the expiry: an update does not extend the session', async () => {
        const sessionKey = key('update-expiry');
        await create(sessionKey, { user: 'alice' }, { idleMs: shortMs });
        expect(await store.updateSession(sessionKey, { user: 'bob' })).toBe(true);
        await sleep(shortMs * 2);
        expect(await read(sessionKey, ['user'])).toBeNull();
      });
    });

    describe('deleteSessionFields', () => {
      it('removes only the named fields and keeps the session and its expiry', async () => {
        const sessionKey = key('delete-fields');
        const fields = ['user', 'tokens:graph', 'tokens:servicenow'];
        await create(
          sessionKey,
          { user: 'a', 'tokens:graph': 'g', 'tokens:servicenow': 's' },
          { idleMs: shortMs },
        );
        await store.deleteSessionFields(sessionKey, ['tokens:graph', 'never-set']);
        expect(await read(sessionKey, fields, shortMs)).toEqual(['a', null, 's']);
        await store.deleteSessionFields(sessionKey, ['user', 'tokens:servicenow']);
        expect(await read(sessionKey, fields, shortMs)).toEqual([null, null, null]);
        await sleep(shortMs * 2);
        expect(await read(sessionKey, fields)).toBeNull();
      });

      it('does nothing for a missing session or an empty field list', async () => {
        await store.deleteSessionFields(key('delete-missing'), ['user']);
        const sessionKey = key('delete-none');
        await create(sessionKey, { user: 'alice' });
        await store.deleteSessionFields(sessionKey, []);
        expect(await read(sessionKey, ['user'])).toEqual(['alice']);
      });
    });

    describe('claimOnce', () => {
      it('is granted once, then refused while the claim lives', async () => {
        const claimKey = key('claim');
        expect(await store.claimOnce(claimKey, longMs)).toBe(true);
        expect(await store.claimOnce(claimKey, longMs)).toBe(false);
      });

      it('is granted to exactly one of many concurrent claimants', async () => {
        const claimKey = key('claim-race');
        const granted = await Promise.all(
          Array.from({ length: 10 }, () => store.claimOnce(claimKey, longMs)),
        );
        expect(granted.filter(Boolean)).toHaveLength(1);
      });

      it('can be claimed again once the claim has expired', async () => {
        const claimKey = key('claim-ttl');
        expect(await store.claimOnce(claimKey, shortMs / 2)).toBe(true);
        await sleep(shortMs);
        expect(await store.claimOnce(claimKey, longMs)).toBe(true);
      });

      it('refuses a time to live that is not a positive whole number of milliseconds', async () => {
        await expect(store.claimOnce(key('claim-zero'), 0)).rejects.toThrow(/ttlMs/);
        await expect(store.claimOnce(key('claim-fraction'), 1.5)).rejects.toThrow(/ttlMs/);
      });

      it('keeps kinds apart: a session cannot be claimed, and a claim is no session', async () => {
        const sessionKey = key('claim-on-session');
        await create(sessionKey, { user: 'alice' });
        expect(await store.claimOnce(sessionKey, longMs)).toBe(false);
        expect(await read(sessionKey, ['user'])).toEqual(['alice']);

        const claimKey = key('session-on-claim');
        expect(await store.claimOnce(claimKey, longMs)).toBe(true);
        const sessionCalls = {
          readSession: () => store.readSession(claimKey, ['user'], inMs(longMs)),
          updateSession: () => store.updateSession(claimKey, { user: 'mallory' }),
          deleteSessionFields: () => store.deleteSessionFields(claimKey, ['user']),
        };
        // Redis answers WRONGTYPE, the memory store mirrors it: both reject with store_unavailable.
        for (const [method, call] of Object.entries(sessionCalls)) {
          const failure = await call().then(
            () => new Error(`${method} resolved on a claim`),
            (error: unknown) => error,
          );
          expect(failure, method).toBeInstanceOf(GatewayError);
          expect(failure, method).toMatchObject({ status: 503, code: 'store_unavailable' });
        }
        expect(await store.claimOnce(claimKey, longMs)).toBe(false);
      });
    });

    describe('replaceSessionFields', () => {
      const expected = { field: 'tokens:graph', value: 'sealed-1' };

      it('when the expected field matches, sets and removes fields and keeps the others', async () => {
        const sessionKey = key('replace-match');
        await create(sessionKey, { user: 'alice', 'tokens:graph': 'sealed-1', 'lock:note': 'x' });
        const replaced = await store.replaceSessionFields(
          sessionKey,
          expected,
          { 'tokens:graph': 'sealed-2', 'tokens:servicenow': 'sn' },
          ['lock:note', 'never-set'],
        );
        expect(replaced).toBe(true);
        const fields = ['user', 'tokens:graph', 'tokens:servicenow', 'lock:note'];
        expect(await read(sessionKey, fields)).toEqual(['alice', 'sealed-2', 'sn', null]);
      });

      it('returns false and writes nothing when the field holds another value or is absent', async () => {
        const sessionKey = key('replace-mismatch');
        await create(sessionKey, { user: 'alice', 'tokens:graph': 'sealed-other' });
        const change = { user: 'mallory' };
        expect(
          await store.replaceSessionFields(sessionKey, expected, change, ['tokens:graph']),
        ).toBe(false);
        const absent = { field: 'tokens:servicenow', value: 'sealed-1' };
        expect(await store.replaceSessionFields(sessionKey, absent, change, ['tokens:graph'])).toBe(
          false,
        );
        // An empty expected value is no wildcard for an absent field.
        const empty = { field: 'tokens:servicenow', value: '' };
        expect(await store.replaceSessionFields(sessionKey, empty, change, [])).toBe(false);
        expect(await read(sessionKey, ['user', 'tokens:graph'])).toEqual(['alice', 'sealed-other']);
      });

      it('returns false for a missing session and does not create it', async () => {
        const sessionKey = key('replace-missing');
        expect(
          await store.replaceSessionFields(sessionKey, expected, { user: 'mallory' }, []),
        ).toBe(false);
        expect(await read(sessionKey, ['user'])).toBeNull();
        // No key of any kind was written: the key is still free to lock.
        expect(await store.acquireLock(sessionKey, 'owner', longMs)).toBe(true);
      });

      it('accepts an empty set and remove: a pure comparison', async () => {
        const sessionKey = key('replace-empty');
        await create(sessionKey, { 'tokens:graph': 'sealed-1' });
        expect(await store.replaceSessionFields(sessionKey, expected, {}, [])).toBe(true);
        expect(await read(sessionKey, ['tokens:graph'])).toEqual(['sealed-1']);
      });

      it('keeps the expiry and the absolute deadline', async () => {
        const sessionKey = key('replace-expiry');
        const absoluteDeadlineMs = inMs(longMs);
        await store.createSession(
          sessionKey,
          { 'tokens:graph': 'sealed-1' },
          absoluteDeadlineMs,
          inMs(shortMs),
        );
        const change = { 'tokens:graph': 'sealed-2' };
        expect(await store.replaceSessionFields(sessionKey, expected, change, [])).toBe(true);
        const result = await store.readSession(sessionKey, ['tokens:graph'], inMs(shortMs));
        expect(result).toEqual({ absoluteDeadlineMs, values: ['sealed-2'] });
        await sleep(shortMs * 2);
        expect(await read(sessionKey, ['tokens:graph'])).toBeNull();
      });

      it('lets exactly one of many concurrent callers with the same expected value write', async () => {
        const sessionKey = key('replace-race');
        await create(sessionKey, { 'tokens:graph': 'sealed-1' });
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            store.replaceSessionFields(
              sessionKey,
              expected,
              { 'tokens:graph': `new-${index}` },
              [],
            ),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await read(sessionKey, ['tokens:graph'])).toEqual([`new-${winner}`]);
      });

      it('refuses the reserved field name and a field both set and removed', async () => {
        const sessionKey = key('replace-reserved');
        await create(sessionKey, { 'tokens:graph': 'sealed-1' });
        const reserved = { field: absoluteDeadlineField, value: '0' };
        const calls = [
          () => store.replaceSessionFields(sessionKey, reserved, {}, []),
          () =>
            store.replaceSessionFields(sessionKey, expected, { [absoluteDeadlineField]: '0' }, []),
          () => store.replaceSessionFields(sessionKey, expected, {}, [absoluteDeadlineField]),
        ];
        for (const call of calls) await expect(call()).rejects.toThrow(/reserved/);
        await expect(
          store.replaceSessionFields(sessionKey, expected, { user: 'a' }, ['user']),
        ).rejects.toThrow(/both set and removed/);
        expect(await read(sessionKey, ['tokens:graph'])).toEqual(['sealed-1']);
      });
    });

    describe('locks', () => {
      it('is taken by exactly one of many concurrent acquirers, whose token it then holds', async () => {
        const lockKey = key('lock-race');
        const owners = Array.from({ length: 20 }, (_, index) => `owner-${index}`);
        const taken = await Promise.all(
          owners.map((owner) => store.acquireLock(lockKey, owner, longMs)),
        );
        expect(taken.filter(Boolean)).toHaveLength(1);
        expect(await store.readLock(lockKey)).toBe(owners[taken.indexOf(true)]);
      });

      it('reads null for a free lock', async () => {
        expect(await store.readLock(key('lock-free'))).toBeNull();
      });

      it('expires after its time to live and can be taken again', async () => {
        const lockKey = key('lock-ttl');
        expect(await store.acquireLock(lockKey, 'first', shortMs / 2)).toBe(true);
        expect(await store.acquireLock(lockKey, 'second', longMs)).toBe(false);
        await sleep(shortMs);
        expect(await store.readLock(lockKey)).toBeNull();
        expect(await store.acquireLock(lockKey, 'second', longMs)).toBe(true);
        expect(await store.readLock(lockKey)).toBe('second');
      });

      it('a release by anyone but the owner does nothing and returns false', async () => {
        const lockKey = key('lock-stranger');
        expect(await store.releaseLock(lockKey, 'owner')).toBe(false);
        expect(await store.acquireLock(lockKey, 'owner', longMs)).toBe(true);
        expect(await store.releaseLock(lockKey, 'stranger')).toBe(false);
        const outcome = { value: 'forged', ttlMs: longMs };
        expect(await store.releaseLock(lockKey, 'stranger', outcome)).toBe(false);
        expect(await store.readLock(lockKey)).toBe('owner');
      });

      it('a release by the owner frees the lock, once', async () => {
        const lockKey = key('lock-release');
        expect(await store.acquireLock(lockKey, 'owner', longMs)).toBe(true);
        expect(await store.releaseLock(lockKey, 'owner')).toBe(true);
        expect(await store.readLock(lockKey)).toBeNull();
        expect(await store.releaseLock(lockKey, 'owner')).toBe(false);
        expect(await store.acquireLock(lockKey, 'next', longMs)).toBe(true);
      });

      it('an owner whose lock expired and was taken by another cannot release it', async () => {
        const lockKey = key('lock-stale');
        expect(await store.acquireLock(lockKey, 'slow', shortMs / 2)).toBe(true);
        await sleep(shortMs);
        expect(await store.acquireLock(lockKey, 'next', longMs)).toBe(true);
        expect(await store.releaseLock(lockKey, 'slow')).toBe(false);
        expect(await store.releaseLock(lockKey, 'slow', { value: 'done', ttlMs: longMs })).toBe(
          false,
        );
        expect(await store.readLock(lockKey)).toBe('next');
      });

      it('a release with an outcome leaves it readable for its time to live, blocking acquirers', async () => {
        const lockKey = key('lock-outcome');
        expect(await store.acquireLock(lockKey, 'owner', longMs)).toBe(true);
        const outcome = { value: 'refreshed', ttlMs: shortMs };
        expect(await store.releaseLock(lockKey, 'owner', outcome)).toBe(true);
        expect(await store.readLock(lockKey)).toBe('refreshed');
        expect(await store.acquireLock(lockKey, 'next', longMs)).toBe(false);
        // The owner no longer holds it: the outcome is not a token that releases.
        expect(await store.releaseLock(lockKey, 'owner')).toBe(false);
        await sleep(shortMs * 2);
        expect(await store.readLock(lockKey)).toBeNull();
        expect(await store.acquireLock(lockKey, 'next', longMs)).toBe(true);
      });

      it('refuses times to live that are not positive whole milliseconds, and an outcome equal to the owner', async () => {
        const lockKey = key('lock-arguments');
        await expect(store.acquireLock(lockKey, 'owner', 0)).rejects.toThrow(/ttlMs/);
        await expect(store.acquireLock(lockKey, 'owner', 1.5)).rejects.toThrow(/ttlMs/);
        expect(await store.acquireLock(lockKey, 'owner', longMs)).toBe(true);
        const badOutcomes = [
          { value: 'done', ttlMs: 0 },
          { value: 'done', ttlMs: 1.5 },
          { value: 'owner', ttlMs: longMs },
        ];
        for (const outcome of badOutcomes) {
          await expect(store.releaseLock(lockKey, 'owner', outcome)).rejects.toThrow(/outcome/);
        }
        expect(await store.readLock(lockKey)).toBe('owner');
      });

      it('keeps kinds apart: a session cannot be locked, and a lock is no session', async () => {
        const sessionKey = key('lock-on-session');
        await create(sessionKey, { 'tokens:graph': 'sealed-1' });
        expect(await store.acquireLock(sessionKey, 'owner', longMs)).toBe(false);
        const lockKey = key('session-on-lock');
        expect(await store.acquireLock(lockKey, 'owner', longMs)).toBe(true);
        const wrongKindCalls = {
          readLock: () => store.readLock(sessionKey),
          releaseLock: () => store.releaseLock(sessionKey, 'owner'),
          replaceSessionFields: () =>
            store.replaceSessionFields(lockKey, { field: 'user', value: 'owner' }, {}, []),
        };
        // Redis answers WRONGTYPE, the memory store mirrors it: both reject with store_unavailable.
        for (const [method, call] of Object.entries(wrongKindCalls)) {
          const failure = await call().then(
            () => new Error(`${method} resolved on the wrong kind of key`),
            (error: unknown) => error,
          );
          expect(failure, method).toBeInstanceOf(GatewayError);
          expect(failure, method).toMatchObject({ status: 503, code: 'store_unavailable' });
        }
        expect(await read(sessionKey, ['tokens:graph'])).toEqual(['sealed-1']);
        expect(await store.readLock(lockKey)).toBe('owner');
      });
    });

    describe('delete', () => {
      it('deletes sessions and claims alike, ignoring missing keys', async () => {
        const sessionKey = key('delete-session');
        const claimKey = key('delete-claim');
        await create(sessionKey, { user: 'alice' });
        expect(await store.claimOnce(claimKey, longMs)).toBe(true);
        await store.delete([sessionKey, claimKey, key('delete-absent')]);
        expect(await read(sessionKey, ['user'])).toBeNull();
        // A deleted claim can be granted again.
        expect(await store.claimOnce(claimKey, longMs)).toBe(true);
      });

      it('accepts an empty list', async () => {
        await expect(store.delete([])).resolves.toBeUndefined();
      });
    });

    describe('ping and close', () => {
      it('ping resolves while the backend answers', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('a closed store rejects with store_unavailable, and closing twice is harmless', async () => {
        const closing = await factory();
        await closing.close();
        await closing.close();
        const failure = await closing.ping().catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(GatewayError);
        expect(failure).toMatchObject({ status: 503, code: 'store_unavailable' });
      });
    });
  });
}
