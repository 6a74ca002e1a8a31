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
