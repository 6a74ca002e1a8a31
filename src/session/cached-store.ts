// A Store whose hot-path session reads are served from a short-lived in-process cache, and whose every session write is announced to all replicas.
import type { SessionRead, Store } from './store.ts';
import type { SessionReadCache } from './session-read-cache.ts';

/** Tells every replica sharing the store (this one included) that a session changed. */
export interface WriteAnnouncer {
  /** Announces a write to the session at `key`; never rejects (a failure is logged). */
  announce(key: string): Promise<void>;
  close(): void;
}

/**
 * Reads of live sessions are served from `cache` while it is listening; everything else goes to
 * `inner`. After each write that can change a session (tokens replaced, provider disconnected,
 * logout, back-channel logout, expiry by deletion), the key is forgotten here at once and announced
 * to the other replicas, which forget it on receipt. Announcing after the write, never before, is
 * what makes the cache safe: a replica that re-reads on the announcement reads the new value.
 * A write whose announcement fails still stands; the other replicas then serve the old value until
 * the cache's time to live ends (the documented bound, docs/SECURITY.md).
 */
export class CachedStore implements Store {
  readonly #inner: Store;
  readonly #cache: SessionReadCache;
  readonly #announcer: WriteAnnouncer;

  constructor(inner: Store, cache: SessionReadCache, announcer: WriteAnnouncer) {
    this.#inner = inner;
    this.#cache = cache;
    this.#announcer = announcer;
  }

  async readSession(
    key: string,
    fields: readonly string[],
    idleDeadlineMs: number,
  ): Promise<SessionRead | null> {
    const fieldsKey = fields.join('\n');
    const cached = this.#cache.lookup(key, fieldsKey);
    if (cached !== undefined) return cached;
    const ticket = this.#cache.begin();
    const read = await this.#inner.readSession(key, fields, idleDeadlineMs);
    this.#cache.remember(ticket, key, fieldsKey, read, idleDeadlineMs);
    return read;
  }

  createSession(
    key: string,
    fields: Readonly<Record<string, string>>,
    absoluteDeadlineMs: number,
    idleDeadlineMs: number,
  ): Promise<void> {
    return this.#written([key], () =>
      this.#inner.createSession(key, fields, absoluteDeadlineMs, idleDeadlineMs),
    );
  }

  updateSession(key: string, fields: Readonly<Record<string, string>>): Promise<boolean> {
    return this.#written([key], () => this.#inner.updateSession(key, fields));
  }

  takeSession(key: string, fields: readonly string[]): Promise<SessionRead | null> {
    return this.#written([key], () => this.#inner.takeSession(key, fields));
  }

  deleteSessionFields(key: string, fields: readonly string[]): Promise<void> {
    return this.#written([key], () => this.#inner.deleteSessionFields(key, fields));
  }

  replaceSessionFields(
    key: string,
    expected: { readonly field: string; readonly value: string },
    set: Readonly<Record<string, string>>,
    remove: readonly string[],
  ): Promise<boolean> {
    return this.#written([key], () => this.#inner.replaceSessionFields(key, expected, set, remove));
  }

  delete(keys: readonly string[]): Promise<void> {
    return this.#written(keys, () => this.#inner.delete(keys));
  }

  claimOnce(key: string, ttlMs: number): Promise<boolean> {
    return this.#inner.claimOnce(key, ttlMs);
  }

  acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.#inner.acquireLock(key, owner, ttlMs);
  }

  readLock(key: string): Promise<string | null> {
    return this.#inner.readLock(key);
  }

  releaseLock(
    key: string,
    owner: string,
    outcome?: { readonly value: string; readonly ttlMs: number },
  ): Promise<boolean> {
    return this.#inner.releaseLock(key, owner, outcome);
  }

  addToIndex(key: string, member: string, ttlMs: number): Promise<void> {
    return this.#inner.addToIndex(key, member, ttlMs);
  }

  removeFromIndex(key: string, members: readonly string[]): Promise<void> {
    return this.#inner.removeFromIndex(key, members);
  }

  takeIndex(key: string): Promise<string[]> {
    return this.#inner.takeIndex(key);
  }

  ping(): Promise<void> {
    return this.#inner.ping();
  }

  close(): Promise<void> {
    this.#announcer.close();
    return this.#inner.close();
  }

  /**
   * Runs a write, then forgets and announces its keys — also when it failed: a write whose reply
   * was lost (a timeout) may still have happened. The write's own outcome is what the caller gets.
   */
  async #written<T>(keys: readonly string[], write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      for (const key of keys) this.#cache.invalidate(key);
      // One announcement per key (a delete names a few at most), all before the caller goes on.
      await Promise.all(keys.map((key) => this.#announcer.announce(key)));
    }
  }
}
