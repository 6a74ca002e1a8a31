// oidc-provider's storage, in memory and enumerable, so tests can check grants, forget sessions and revoke accounts.

interface StoredEntry {
  model: string;
  id: string;
  payload: Record<string, unknown>;
  expiresAt: number;
}

export interface InMemoryStorage {
  /** oidc-provider's `adapter` option: one adapter per model (Grant, Session, AccessToken…). */
  readonly adapter: ReturnType<typeof createAdapterFactory>;
  /** Whether a grant is still stored (a revoked account's grants are not). */
  readonly hasGrant: (grantId: string) => boolean;
  /** Drops a sign-in session, as if its cookie had never been issued. */
  readonly forgetSession: (sessionId: string) => void;
  /** Deletes an account's grants, every token of those grants, and its sessions. */
  readonly revokeAccount: (accountId: string) => void;
}

export function createInMemoryStorage(): InMemoryStorage {
  const entries = new Map<string, StoredEntry>();
  return {
    adapter: createAdapterFactory(entries),
    hasGrant: (grantId) => entries.has(`Grant:${grantId}`),
    forgetSession: (sessionId) => void entries.delete(`Session:${sessionId}`),
    revokeAccount: (accountId) => revokeAccountEntries(entries, accountId),
  };
}

function createAdapterFactory(entries: Map<string, StoredEntry>) {
  const live = (key: string): StoredEntry | undefined => {
    const entry = entries.get(key);
    if (entry === undefined || entry.expiresAt > Date.now()) return entry;
    entries.delete(key);
    return undefined;
  };
  const findWhere = (model: string, field: string, value: string) => {
    for (const [key, entry] of entries)
      if (entry.model === model && entry.payload[field] === value)
        return structuredClone(live(key)?.payload);
    return undefined;
  };
  // oidc-provider awaits every adapter method; the work here is synchronous.
  return (model: string) => ({
    upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      const expiresAt = expiresIn === undefined ? Infinity : Date.now() + expiresIn * 1000;
      entries.set(`${model}:${id}`, { model, id, payload: structuredClone(payload), expiresAt });
      return Promise.resolve();
    },
    find: (id: string) => Promise.resolve(structuredClone(live(`${model}:${id}`)?.payload)),
    findByUid: (uid: string) => Promise.resolve(findWhere(model, 'uid', uid)),
    findByUserCode: (userCode: string) => Promise.resolve(findWhere(model, 'userCode', userCode)),
    consume(id: string) {
      const entry = live(`${model}:${id}`);
      if (entry !== undefined) entry.payload.consumed = Math.floor(Date.now() / 1000);
      return Promise.resolve();
    },
    destroy: (id: string) => Promise.resolve(void entries.delete(`${model}:${id}`)),
    revokeByGrantId(grantId: string) {
      for (const [key, entry] of entries)
        if (entry.payload.grantId === grantId) entries.delete(key);
      return Promise.resolve();
    },
  });
}

function revokeAccountEntries(entries: Map<string, StoredEntry>, accountId: string): void {
  const grantIds = new Set<string>();
  for (const entry of entries.values())
    if (entry.model === 'Grant' && entry.payload.accountId === accountId) grantIds.add(entry.id);
  for (const [key, entry] of entries) {
    const grantId = entry.model === 'Grant' ? entry.id : entry.payload.grantId;
    // Entra's "revoke sessions" ends sign-in sessions as well as refresh tokens.
    const session = entry.model === 'Session' && entry.payload.accountId === accountId;
    if (session || (typeof grantId === 'string' && grantIds.has(grantId))) entries.delete(key);
  }
}
