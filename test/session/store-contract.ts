// The one contract every Store passes: run by the memory and the Redis test files alike.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import type { Store } from '../../src/session/store.ts';
import { inMs, longMs, shortMs, type StoreContract } from './store-contract-fixture.ts';
import { describeIndexContract } from './store-contract-indexes.ts';
import { describeLockContract } from './store-contract-locks.ts';
import { describeSessionHashContract } from './store-contract-sessions.ts';

/** Session hashes, indexes and locks are checked in their own files; claims, delete, ping and close here. */
export function describeStoreContract(name: string, factory: () => Store | Promise<Store>): void {
  describe(`${name} (store contract)`, () => {
    let store: Store;
    const key = (label: string): string => `contract:${label}:${randomUUID()}`;
    // `create` and `read` as `StoreContract` describes them, shared with the parts of the contract.
    const create = (
      sessionKey: string,
      fields: Record<string, string>,
      { absoluteMs = longMs, idleMs = longMs } = {},
    ): Promise<void> => store.createSession(sessionKey, fields, inMs(absoluteMs), inMs(idleMs));
    const read = async (
      sessionKey: string,
      fields: string[],
      idleMs = longMs,
    ): Promise<readonly (string | null)[] | null> =>
      (await store.readSession(sessionKey, fields, inMs(idleMs)))?.values ?? null;

    const storeReceivers: ((opened: Store) => void)[] = [];
    const onStoreOpened = (receive: (opened: Store) => void): void =>
      void storeReceivers.push(receive);

    beforeAll(async () => {
      store = await factory();
      for (const receive of storeReceivers) receive(store);
    });
    afterAll(async () => {
      await store.close();
    });
    const contract: StoreContract = { onStoreOpened, key, create, read };

    describeSessionHashContract(contract);
    describeIndexContract(contract);

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

    describeLockContract(contract);

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
