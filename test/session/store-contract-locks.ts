// The store contract's lock part: compare-and-set of session fields (replaceSessionFields) and owned locks.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import { absoluteDeadlineField } from '../../src/session/store-arguments.ts';
import type { Store } from '../../src/session/store.ts';
import { inMs, longMs, shortMs, type StoreContract } from './store-contract-fixture.ts';

/** Compare-and-set of session fields, then locks held by an owner token and left with an outcome. */
export function describeLockContract(contract: StoreContract): void {
  const { key, create, read } = contract;
  let store: Store;
  contract.onStoreOpened((opened) => (store = opened));

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
      expect(await store.replaceSessionFields(sessionKey, expected, change, ['tokens:graph'])).toBe(
        false,
      );
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
      expect(await store.replaceSessionFields(sessionKey, expected, { user: 'mallory' }, [])).toBe(
        false,
      );
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
          store.replaceSessionFields(sessionKey, expected, { 'tokens:graph': `new-${index}` }, []),
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
}
