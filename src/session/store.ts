// The store interface: the few primitives the gateway needs, implemented by Redis and by memory.

/** What `readSession` returns for a live hash: its absolute deadline and the requested fields. */
export interface SessionRead {
  /** Epoch milliseconds after which the hash is dead whatever its activity (absolute timeout). */
  readonly absoluteDeadlineMs: number;
  /** The values of the requested fields, in order; null where a field is absent. */
  readonly values: readonly (string | null)[];
}

/**
 * Storage for sessions (hashes holding the user and the sealed tokens), single-use claims (a login
 * state marked as used, a logout token's `jti`), locks (one token refresh at a time across
 * processes) and indexes (sets naming the sessions of one user or provider session, for logout). Keys are full
 * keys (the caller adds REDIS_KEY_PREFIX); every write sets an expiry, so nothing lives forever.
 * Values are opaque strings: callers encrypt what is secret before it gets here.
 *
 * Every method rejects with a GatewayError `store_unavailable` (503) when the backend cannot answer.
 */
export interface Store {
  /**
   * One round trip for the hot path: reads `fields` of the hash at `key` and slides its expiry to
   * min(`idleDeadlineMs`, its absolute deadline). Null when the hash is absent or past its absolute
   * deadline (then it is deleted).
   */
  readSession(
    key: string,
    fields: readonly string[],
    idleDeadlineMs: number,
  ): Promise<SessionRead | null>;

  /**
   * Creates or replaces the whole hash at `key` with `fields`, its absolute deadline, and expiry
   * min(`idleDeadlineMs`, `absoluteDeadlineMs`), atomically.
   */
  createSession(
    key: string,
    fields: Readonly<Record<string, string>>,
    absoluteDeadlineMs: number,
    idleDeadlineMs: number,
  ): Promise<void>;

  /** Sets fields of an existing hash, keeping its expiry; false (and nothing written) when it is gone. */
  updateSession(key: string, fields: Readonly<Record<string, string>>): Promise<boolean>;

  /**
   * Reads `fields` of the session hash at `key` and deletes it, in one atomic step: of any number of
   * concurrent callers exactly one receives the values (so a logout revokes each token once). Null
   * when the hash is absent or past its absolute deadline (it is deleted all the same).
   */
  takeSession(key: string, fields: readonly string[]): Promise<SessionRead | null>;

  /** Removes fields of a hash (e.g. one provider's tokens). */
  deleteSessionFields(key: string, fields: readonly string[]): Promise<void>;

  /**
   * Marks `key` as claimed for `ttlMs` unless it already is (`SET NX PX`): true for exactly one of
   * any number of concurrent callers. Single use without storing anything before it is used.
   */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;

  /**
   * Compare-and-set on a session hash, atomically: when field `expected.field` holds exactly
   * `expected.value`, sets the `set` fields and deletes the `remove` fields, keeping the hash's expiry
   * and absolute deadline. False (nothing written) when the hash is gone or the field holds anything
   * else (absent included).
   */
  replaceSessionFields(
    key: string,
    expected: { readonly field: string; readonly value: string },
    set: Readonly<Record<string, string>>,
    remove: readonly string[],
  ): Promise<boolean>;

  /**
   * Takes the lock at `key` for `owner` unless the key holds any value (`SET key owner NX PX ttlMs`).
   * True when taken. The expiry bounds how long a holder that dies can block others.
   */
  acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean>;

  /** The value at a lock key (an owner token or a recorded outcome), or null when free. */
  readLock(key: string): Promise<string | null>;

  /**
   * Ends `owner`'s hold: deletes the key, or — with `outcome` — replaces its value with `outcome.value`
   * for `outcome.ttlMs` (so waiters can read what happened). Does nothing when the key no longer holds
   * `owner` (it expired, perhaps taken by another): only the owner releases (compare-and-delete, one Lua script).
   * Resolves true when it released, false when it was not the owner anymore.
   */
  releaseLock(
    key: string,
    owner: string,
    outcome?: { readonly value: string; readonly ttlMs: number },
  ): Promise<boolean>;

  /**
   * Adds `member` to the set at `key` (an index from a user or provider session to session keys).
   * The set then expires no sooner than `ttlMs` from now: an expiry is extended, never shortened,
   * so the index outlives every session it names.
   */
  addToIndex(key: string, member: string, ttlMs: number): Promise<void>;

  /** Removes `members` from the set at `key`; the set's expiry is kept. */
  removeFromIndex(key: string, members: readonly string[]): Promise<void>;

  /** The members of the set at `key`, deleting it in the same atomic step; empty when absent. */
  takeIndex(key: string): Promise<string[]>;

  /** Deletes keys of any kind. */
  delete(keys: readonly string[]): Promise<void>;

  /** Resolves when the backend answers (readiness). */
  ping(): Promise<void>;

  /** Closes connections and timers. */
  close(): Promise<void>;
}
