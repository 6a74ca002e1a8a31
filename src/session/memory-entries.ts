// The memory store's table: entries of three kinds (hash, string, set), each expiring like a Redis key.
import { GatewayError } from '../errors/gateway-error.ts';

export interface SessionEntry {
  readonly kind: 'session';
  readonly fields: Map<string, string>;
  readonly absoluteDeadlineMs: number;
  expiresAtMs: number;
}

/** A Redis string: a claim from `claimOnce` (holding "1"), a lock's owner token or its recorded outcome. */
export interface StringEntry {
  readonly kind: 'string';
  readonly value: string;
  readonly expiresAtMs: number;
}

/** A Redis set: an index of session keys. */
export interface SetEntry {
  readonly kind: 'set';
  readonly members: Set<string>;
  expiresAtMs: number;
}

export type Entry = SessionEntry | StringEntry | SetEntry;

/** Mirrors Redis answering WRONGTYPE (a key used as two kinds of value), which the Redis store reports as 503. */
function wrongKind(key: string): GatewayError {
  return new GatewayError(503, 'store_unavailable', 'the session store is unavailable', {
    cause: new Error(`the key "${key}" holds another kind of value`),
  });
}

/** Keys to entries; an expired entry is dropped when it is next touched, as Redis expires keys lazily. */
export class EntryTable {
  readonly #entries = new Map<string, Entry>();

  set(key: string, entry: Entry): void {
    this.#entries.set(key, entry);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** The live entry at `key`, of any kind, deleting it when expired. */
  live(key: string, now: number): Entry | null {
    const entry = this.#entries.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAtMs <= now) {
      this.#entries.delete(key);
      return null;
    }
    return entry;
  }

  /** The live hash at `key`; another kind there is WRONGTYPE. */
  session(key: string, now: number): SessionEntry | null {
    return this.#ofKind(key, now, 'session');
  }

  /** The live string at `key`; a session there is WRONGTYPE, as Redis's GET answers. */
  string(key: string, now: number): StringEntry | null {
    return this.#ofKind(key, now, 'string');
  }

  /** The live set at `key`; another kind there is WRONGTYPE. */
  indexSet(key: string, now: number): SetEntry | null {
    return this.#ofKind(key, now, 'set');
  }

  /** Like PEXPIREAT: a deadline already past deletes the key at once. */
  expireAt(key: string, entry: SessionEntry | SetEntry, expiresAtMs: number, now: number): void {
    if (expiresAtMs <= now) this.#entries.delete(key);
    else entry.expiresAtMs = expiresAtMs;
  }

  /** Drops every expired entry: bounds the memory held by entries nobody reads again. */
  sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAtMs <= now) this.#entries.delete(key);
    }
  }

  #ofKind<K extends Entry['kind']>(
    key: string,
    now: number,
    kind: K,
  ): Extract<Entry, { kind: K }> | null {
    const entry = this.live(key, now);
    if (entry === null) return null;
    if (entry.kind !== kind) throw wrongKind(key);
    return entry as Extract<Entry, { kind: K }>;
  }
}
