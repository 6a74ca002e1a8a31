// The in-process store: Maps with the Redis store's exact semantics, for development and single-process use.
import { GatewayError } from '../errors/gateway-error.ts';
import { EntryTable, type SessionEntry } from './memory-entries.ts';
import {
  assertCallerFieldNames,
  assertMilliseconds,
  assertReleaseArguments,
  assertReplaceArguments,
} from './store-arguments.ts';
import type { SessionRead, Store } from './store.ts';

/** Expired entries are dropped on access; the sweep bounds memory held by entries nobody reads again. */
const defaultSweepIntervalMs = 60_000;

export interface MemoryStoreOptions {
  readonly sweepIntervalMs?: number;
}

// The methods are async without awaiting: a synchronous throw must reach callers as a rejection,
// exactly as it does from the Redis store.
/* eslint-disable @typescript-eslint/require-await */
export class MemoryStore implements Store {
  readonly #entries = new EntryTable();
  readonly #sweepTimer: NodeJS.Timeout;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#sweepTimer = setInterval(
      () => this.#entries.sweep(Date.now()),
      options.sweepIntervalMs ?? defaultSweepIntervalMs,
    );
    // The sweep alone must not keep the process alive.
    this.#sweepTimer.unref();
  }

  async readSession(
    key: string,
    fields: readonly string[],
    idleDeadlineMs: number,
  ): Promise<SessionRead | null> {
    this.#assertOpen();
    assertCallerFieldNames(fields);
    assertMilliseconds('idleDeadlineMs', idleDeadlineMs);
    const now = Date.now();
    const entry = this.#entries.session(key, now);
    if (entry === null) return null;
    if (entry.absoluteDeadlineMs <= now) {
      this.#entries.delete(key);
      return null;
    }
    this.#entries.expireAt(key, entry, Math.min(idleDeadlineMs, entry.absoluteDeadlineMs), now);
    return {
      absoluteDeadlineMs: entry.absoluteDeadlineMs,
      values: fields.map((field) => entry.fields.get(field) ?? null),
    };
  }

  async createSession(
    key: string,
    fields: Readonly<Record<string, string>>,
    absoluteDeadlineMs: number,
    idleDeadlineMs: number,
  ): Promise<void> {
    this.#assertOpen();
    assertCallerFieldNames(Object.keys(fields));
    assertMilliseconds('absoluteDeadlineMs', absoluteDeadlineMs);
    assertMilliseconds('idleDeadlineMs', idleDeadlineMs);
    const entry: SessionEntry = {
      kind: 'session',
      fields: new Map(Object.entries(fields)),
      absoluteDeadlineMs,
      expiresAtMs: 0,
    };
    this.#entries.set(key, entry);
    this.#entries.expireAt(key, entry, Math.min(absoluteDeadlineMs, idleDeadlineMs), Date.now());
  }

  async updateSession(key: string, fields: Readonly<Record<string, string>>): Promise<boolean> {
    this.#assertOpen();
    assertCallerFieldNames(Object.keys(fields));
    const updates = Object.entries(fields);
    const now = Date.now();
    if (this.#entries.live(key, now) === null) return false;
    // Like the Redis script, which only checks EXISTS when there is nothing to write.
    if (updates.length === 0) return true;
    // Another kind of value at the key is WRONGTYPE, as HSET answers.
    const entry = this.#entries.session(key, now);
    if (entry === null) return false;
    for (const [field, value] of updates) entry.fields.set(field, value);
    return true;
  }

  async takeSession(key: string, fields: readonly string[]): Promise<SessionRead | null> {
    this.#assertOpen();
    assertCallerFieldNames(fields);
    const now = Date.now();
    const entry = this.#entries.session(key, now);
    if (entry === null) return null;
    this.#entries.delete(key);
    if (entry.absoluteDeadlineMs <= now) return null;
    return {
      absoluteDeadlineMs: entry.absoluteDeadlineMs,
      values: fields.map((field) => entry.fields.get(field) ?? null),
    };
  }

  async deleteSessionFields(key: string, fields: readonly string[]): Promise<void> {
    this.#assertOpen();
    assertCallerFieldNames(fields);
    if (fields.length === 0) return;
    const entry = this.#entries.session(key, Date.now());
    if (entry === null) return;
    for (const field of fields) entry.fields.delete(field);
  }

  async replaceSessionFields(
    key: string,
    expected: { readonly field: string; readonly value: string },
    set: Readonly<Record<string, string>>,
    remove: readonly string[],
  ): Promise<boolean> {
    this.#assertOpen();
    assertReplaceArguments(expected.field, set, remove);
    const entry = this.#entries.session(key, Date.now());
    if (entry?.fields.get(expected.field) !== expected.value) return false;
    // The entry object, its expiry and absolute deadline included, stays: only fields change.
    for (const [field, value] of Object.entries(set)) entry.fields.set(field, value);
    for (const field of remove) entry.fields.delete(field);
    return true;
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    this.#assertOpen();
    assertMilliseconds('ttlMs', ttlMs, 1);
    const now = Date.now();
    // Like SET NX: a live key of any kind, a session included, refuses the claim.
    if (this.#entries.live(key, now) !== null) return false;
    this.#entries.set(key, { kind: 'string', value: '1', expiresAtMs: now + ttlMs });
    return true;
  }

  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    this.#assertOpen();
    assertMilliseconds('ttlMs', ttlMs, 1);
    const now = Date.now();
    // Like SET NX: a live key of any kind, a session included, refuses the lock.
    if (this.#entries.live(key, now) !== null) return false;
    this.#entries.set(key, { kind: 'string', value: owner, expiresAtMs: now + ttlMs });
    return true;
  }

  async readLock(key: string): Promise<string | null> {
    this.#assertOpen();
    return this.#entries.string(key, Date.now())?.value ?? null;
  }

  async releaseLock(
    key: string,
    owner: string,
    outcome?: { readonly value: string; readonly ttlMs: number },
  ): Promise<boolean> {
    this.#assertOpen();
    assertReleaseArguments(owner, outcome);
    const now = Date.now();
    if (this.#entries.string(key, now)?.value !== owner) return false;
    if (outcome === undefined) this.#entries.delete(key);
    else
      this.#entries.set(key, {
        kind: 'string',
        value: outcome.value,
        expiresAtMs: now + outcome.ttlMs,
      });
    return true;
  }

  async addToIndex(key: string, member: string, ttlMs: number): Promise<void> {
    this.#assertOpen();
    assertMilliseconds('ttlMs', ttlMs, 1);
    const now = Date.now();
    let entry = this.#entries.indexSet(key, now);
    if (entry === null) {
      entry = { kind: 'set', members: new Set(), expiresAtMs: 0 };
      this.#entries.set(key, entry);
    }
    entry.members.add(member);
    // Extended, never shortened: like the Redis script's PTTL comparison.
    if (entry.expiresAtMs < now + ttlMs) entry.expiresAtMs = now + ttlMs;
  }

  async removeFromIndex(key: string, members: readonly string[]): Promise<void> {
    this.#assertOpen();
    const entry = this.#entries.indexSet(key, Date.now());
    if (entry === null) return;
    for (const member of members) entry.members.delete(member);
    // Redis deletes a set whose last member is removed.
    if (entry.members.size === 0) this.#entries.delete(key);
  }

  async takeIndex(key: string): Promise<string[]> {
    this.#assertOpen();
    const entry = this.#entries.indexSet(key, Date.now());
    if (entry === null) return [];
    this.#entries.delete(key);
    return [...entry.members];
  }

  async delete(keys: readonly string[]): Promise<void> {
    this.#assertOpen();
    for (const key of keys) this.#entries.delete(key);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    this.#entries.clear();
  }

  /** A closed Redis store answers 503; the memory store does too, so callers see one behaviour. */
  #assertOpen(): void {
    if (this.#closed)
      throw new GatewayError(503, 'store_unavailable', 'the session store is unavailable', {
        cause: new Error('the memory store is closed'),
      });
  }
}
/* eslint-enable @typescript-eslint/require-await */
