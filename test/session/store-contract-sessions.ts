// The store contract's session-hash part: readSession, createSession, updateSession, deleteSessionFields.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { absoluteDeadlineField } from '../../src/session/store-arguments.ts';
import type { Store } from '../../src/session/store.ts';
import { inMs, longMs, shortMs, type StoreContract } from './store-contract-fixture.ts';

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

/** Session hashes: read with a sliding idle expiry, created whole, updated, fields deleted. */
export function describeSessionHashContract(contract: StoreContract): void {
  const { key, create, read } = contract;
  let store: Store;
  contract.onStoreOpened((opened) => (store = opened));

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
}
