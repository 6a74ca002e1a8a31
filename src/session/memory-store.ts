// The in-process store: Maps with the Redis store's exact semantics, for development and single-process use.
import { GatewayError } from '../errors/gateway-error.ts';
import {
  assertCallerFieldNames,
  assertMilliseconds,
  assertReleaseArguments,
  assertReplaceArguments,
} from './store-arguments.ts';
import type { SessionRead, Store } from './store.ts';

/** Expired entries are dropped on access; the sweep bounds memory held by entries nobody reads again. */
const defaultSweepIntervalMs = 60_000;

interface SessionEntry {
  readonly kind: 'session';
  readonly fields: Map<string, string>;
  readonly absoluteDeadlineMs: number;
  expiresAtMs: number;
}

/** A Redis string: a claim from `claimOnce` (holding "1"), a lock's owner token or its recorded outcome. */
interface StringEntry {
  readonly kind: 'string';
  readonly value: string;
  readonly expiresAtMs: number;
}

type Entry = SessionEntry | StringEntry;

export interface MemoryStoreOptions {
  readonly sweepIntervalMs?: number;
}

/** Mirrors Redis answering WRONGTYPE (a key used as both a hash and a string), which the Redis store reports as 503. */
function wrongKind(key: string): GatewayError {
  return new GatewayError(503, 'store_unavailable', 'the session store is unavailable', {
    cause: new Error(`the key "${key}" holds another kind of value`),
  });
}

// The methods are async without awaiting: a synchronous throw must reach callers as a rejection,
// exactly as it does from the Redis store.
/* eslint-disable @typescript-eslint/require-await */
export class MemoryStore implements Store {
  readonly #entries = new Map<string, Entry>();
  readonly #sweepTimer: NodeJS.Timeout;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#sweepTimer = setInterval(
      () => this.#sweep(),
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
    const entry = this.#session(key, now);
    if (entry === null) return null;
    if (entry.absoluteDeadlineMs <= now) {
      this.#entries.delete(key);
      return null;
    }
    this.#expireAt(key, entry, Math.min(idleDeadlineMs, entry.absoluteDeadlineMs), now);
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
    this.#expireAt(key, entry, Math.min(absoluteDeadlineMs, idleDeadlineMs), Date.now());
  }

  async updateSession(key: string, fields: Readonly<Record<string, string>>): Promise<boolean> {
    this.#assertOpen();
    assertCallerFieldNames(Object.keys(fields));
    const updates = Object.entries(fields);
    const entry = this.#live(key, Date.now());
    if (entry === null) return false;
    // Like the Redis script, which only checks EXISTS when there is nothing to write.
    if (updates.length === 0) return true;
    if (entry.kind !== 'session') throw wrongKind(key);
    for (const [field, value] of updates) entry.fields.set(field, value);
    return true;
  }

  async deleteSessionFields(key: string, fields: readonly string[]): Promise<void> {
    this.#assertOpen();
    assertCallerFieldNames(fields);
    if (fields.length === 0) return;
    const entry = this.#session(key, Date.now());
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
    const entry = this.#session(key, Date.now());
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
    if (this.#live(key, now) !== null) return false;
    this.#entries.set(key, { kind: 'string', value: '1', expiresAtMs: now + ttlMs });
    return true;
  }

  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    this.#assertOpen();
    assertMilliseconds('ttlMs', ttlMs, 1);
    const now = Date.now();
    // Like SET NX: a live key of any kind, a session included, refuses the lock.
    if (this.#live(key, now) !== null) return false;
    this.#entries.set(key, { kind: 'string', value: owner, expiresAtMs: now + ttlMs });
    return true;
  }

  async readLock(key: string): Promise<string | null> {
    this.#assertOpen();
    return this.#string(key, Date.now())?.value ?? null;
  }

  async releaseLock(
    key: string,
    owner: string,
    outcome?: { readonly value: string; readonly ttlMs: number },
  ): Promise<boolean> {
    this.#assertOpen();
    assertReleaseArguments(owner, outcome);
    const now = Date.now();
    if (this.#string(key, now)?.value !== owner) return false;
    if (outcome === undefined) this.#entries.delete(key);
    else
      this.#entries.set(key, {
        kind: 'string',
        value: outcome.value,
        expiresAtMs: now + outcome.ttlMs,
      });
    return true;
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

  /** The live entry at `key`, deleting it when expired (Redis expires keys lazily the same way). */
  #live(key: string, now: number): Entry | null {
    const entry = this.#entries.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAtMs <= now) {
      this.#entries.delete(key);
      return null;
    }
    return entry;
  }

  #session(key: string, now: number): SessionEntry | null {
    const entry = this.#live(key, now);
    if (entry === null) return null;
    if (entry.kind !== 'session') throw wrongKind(key);
    return entry;
  }

  /** The live string at `key`; a session there is WRONGTYPE, as Redis's GET answers. */
  #string(key: string, now: number): StringEntry | null {
    const entry = this.#live(key, now);
    if (entry === null) return null;
    if (entry.kind !== 'string') throw wrongKind(key);
    return entry;
  }

  /** Like PEXPIREAT: a deadline already past deletes the key at once. */
  #expireAt(key: string, entry: SessionEntry, expiresAtMs: number, now: number): void {
    if (expiresAtMs <= now) this.#entries.delete(key);
    else entry.expiresAtMs = expiresAtMs;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAtMs <= now) this.#entries.delete(key);
    }
  }
}
/* eslint-enable @typescript-eslint/require-await */
