// The store contract's logout part: taking a session (read and delete at once) and index sets with expiries.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import type { Store } from '../../src/session/store.ts';
import { longMs, shortMs, type StoreContract } from './store-contract-fixture.ts';

/** takeSession, then addToIndex / removeFromIndex / takeIndex. */
export function describeIndexContract(contract: StoreContract): void {
  const { key, create, read } = contract;
  let store: Store;
  contract.onStoreOpened((opened) => (store = opened));

  describe('takeSession', () => {
    it('returns the fields and the absolute deadline, and the session is gone', async () => {
      const sessionKey = key('take');
      await create(sessionKey, { user: 'alice', 'tokens:graph': 'sealed' });
      const taken = await store.takeSession(sessionKey, ['user', 'tokens:graph', 'absent']);
      expect(taken?.values).toEqual(['alice', 'sealed', null]);
      expect(taken?.absoluteDeadlineMs).toBeGreaterThan(Date.now());
      expect(await read(sessionKey, ['user'])).toBeNull();
      expect(await store.takeSession(sessionKey, ['user'])).toBeNull();
    });

    it('gives the values to exactly one of many concurrent callers', async () => {
      const sessionKey = key('take-race');
      await create(sessionKey, { 'tokens:graph': 'sealed' });
      const taken = await Promise.all(
        Array.from({ length: 10 }, () => store.takeSession(sessionKey, ['tokens:graph'])),
      );
      expect(taken.filter((result) => result !== null)).toHaveLength(1);
    });

    it('answers null for a session past its absolute deadline, and deletes it', async () => {
      const sessionKey = key('take-dead');
      await create(sessionKey, { user: 'alice' }, { absoluteMs: -1_000 });
      expect(await store.takeSession(sessionKey, ['user'])).toBeNull();
      // Nothing is left at the key: it can be claimed.
      expect(await store.claimOnce(sessionKey, longMs)).toBe(true);
    });

    it('answers 503 for a key holding another kind of value', async () => {
      const claimKey = key('take-wrong-kind');
      await store.claimOnce(claimKey, longMs);
      await expect(store.takeSession(claimKey, ['user'])).rejects.toBeInstanceOf(GatewayError);
    });
  });

  describe('indexes', () => {
    it('hold each member once, and takeIndex returns them and empties the index', async () => {
      const indexKey = key('index');
      await store.addToIndex(indexKey, 'session:a', longMs);
      await store.addToIndex(indexKey, 'session:b', longMs);
      await store.addToIndex(indexKey, 'session:a', longMs);
      expect((await store.takeIndex(indexKey)).sort()).toEqual(['session:a', 'session:b']);
      expect(await store.takeIndex(indexKey)).toEqual([]);
    });

    it('removeFromIndex removes only the named members', async () => {
      const indexKey = key('index-remove');
      await store.addToIndex(indexKey, 'session:a', longMs);
      await store.addToIndex(indexKey, 'session:b', longMs);
      await store.removeFromIndex(indexKey, ['session:a', 'session:never']);
      await store.removeFromIndex(key('index-absent'), ['session:a']);
      expect(await store.takeIndex(indexKey)).toEqual(['session:b']);
    });

    it('expire after their time to live', async () => {
      const indexKey = key('index-ttl');
      await store.addToIndex(indexKey, 'session:a', shortMs);
      await sleep(shortMs * 2);
      expect(await store.takeIndex(indexKey)).toEqual([]);
    });

    it('extend their expiry for a later member but never shorten it', async () => {
      const extended = key('index-extend');
      await store.addToIndex(extended, 'session:a', shortMs);
      await store.addToIndex(extended, 'session:b', longMs);
      const kept = key('index-keep');
      await store.addToIndex(kept, 'session:a', longMs);
      await store.addToIndex(kept, 'session:b', shortMs);
      await sleep(shortMs * 2);
      expect((await store.takeIndex(extended)).sort()).toEqual(['session:a', 'session:b']);
      expect((await store.takeIndex(kept)).sort()).toEqual(['session:a', 'session:b']);
    });

    it('answer 503 for a key holding another kind of value', async () => {
      const sessionKey = key('index-wrong-kind');
      await create(sessionKey, { user: 'alice' });
      await expect(store.addToIndex(sessionKey, 'x', longMs)).rejects.toBeInstanceOf(GatewayError);
      await expect(store.takeIndex(sessionKey)).rejects.toBeInstanceOf(GatewayError);
    });
  });
}
