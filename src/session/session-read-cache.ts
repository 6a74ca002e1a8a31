// A short-lived, bounded in-process copy of recent session reads, dropped on every write anywhere (pub/sub) and wholesale while that news cannot arrive.
import type { SessionRead } from './store.ts';

/**
 * What a read captured when it began: a read that raced a write must not be kept, or the value the
 * write replaced would be served after its invalidation had already passed.
 */
export interface ReadTicket {
  readonly epoch: number;
}

interface Entry {
  readonly read: SessionRead;
  readonly expiresAtMs: number;
}

export interface SessionReadCacheOptions {
  /** How long a read is served from memory at most: the bound on staleness when news is lost. */
  readonly ttlMs: number;
  /** Sessions held at most; the oldest goes first (a read lives `ttlMs` at most anyway). */
  readonly maxSessions: number;
  readonly now?: () => number;
}

/**
 * Holds values exactly as the store returned them (the tokens still sealed with AES-GCM), keyed by
 * the session's store key (a digest, never the id) and the fields read. Serving from memory is safe
 * only while every write is heard of: `invalidate` on each write (local or announced by another
 * replica), `suspend` as soon as announcements may be missed (the subscriber's connection dropped)
 * and `resume` once they are heard again. Until then it holds nothing and keeps nothing.
 */
export class SessionReadCache {
  readonly #ttlMs: number;
  readonly #maxSessions: number;
  readonly #now: () => number;
  /** Session key → fields read (joined) → entry. Insertion order is age order: the first is evicted first. */
  readonly #sessions = new Map<string, Map<string, Entry>>();
  /** Bumped by every invalidation: a read that began before one is not kept. */
  #epoch = 0;
  #listening = false;

  constructor(options: SessionReadCacheOptions) {
    this.#ttlMs = options.ttlMs;
    this.#maxSessions = options.maxSessions;
    this.#now = options.now ?? Date.now;
  }

  /** The cached read of these fields, or undefined (absent, expired, or not listening). */
  lookup(key: string, fields: string): SessionRead | undefined {
    const entry = this.#sessions.get(key)?.get(fields);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs > this.#now()) return entry.read;
    this.#sessions.get(key)?.delete(fields);
    return undefined;
  }

  begin(): ReadTicket {
    return { epoch: this.#epoch };
  }

  /**
   * Keeps a read that no write overtook since `ticket`, until its time to live or the session's
   * own expiry (the idle deadline the read slid it to, or its absolute deadline), whichever comes
   * first. Absent sessions (null) are not kept.
   */
  remember(
    ticket: ReadTicket,
    key: string,
    fields: string,
    read: SessionRead | null,
    idleDeadlineMs: number,
  ): void {
    if (read === null || !this.#listening || ticket.epoch !== this.#epoch) return;
    const expiresAtMs = Math.min(
      this.#now() + this.#ttlMs,
      read.absoluteDeadlineMs,
      idleDeadlineMs,
    );
    let entries = this.#sessions.get(key);
    if (entries === undefined) {
      if (this.#sessions.size >= this.#maxSessions) this.#evictOldest();
      entries = new Map();
      this.#sessions.set(key, entries);
    }
    entries.set(fields, { read, expiresAtMs });
  }

  /** A write to `key` happened (here or in another replica): its reads are forgotten. */
  invalidate(key: string): void {
    this.#epoch += 1;
    this.#sessions.delete(key);
  }

  /** Writes may go unheard from now on: nothing is served or kept until `resume`. */
  suspend(): void {
    this.#listening = false;
    this.#forgetAll();
  }

  /** Writes are heard again; what was read before is forgotten all the same. */
  resume(): void {
    this.#forgetAll();
    this.#listening = true;
  }

  get listening(): boolean {
    return this.#listening;
  }

  /** Sessions currently held (for tests and metrics). */
  get size(): number {
    return this.#sessions.size;
  }

  #forgetAll(): void {
    this.#epoch += 1;
    this.#sessions.clear();
  }

  #evictOldest(): void {
    const oldest = this.#sessions.keys().next();
    if (oldest.done !== true) this.#sessions.delete(oldest.value);
  }
}
