// The session read cache's rules: what it keeps, for how long, and what it refuses to keep.
import { describe, expect, it } from 'vitest';
import { SessionReadCache } from '../../src/session/session-read-cache.ts';

let clock = 1_000_000;
const far = Number.MAX_SAFE_INTEGER;
const read = (absoluteDeadlineMs = clock + 60_000) => ({ absoluteDeadlineMs, values: ['sealed'] });

function listeningCache(options: { ttlMs?: number; maxSessions?: number } = {}): SessionReadCache {
  const cache = new SessionReadCache({
    ttlMs: options.ttlMs ?? 2_000,
    maxSessions: options.maxSessions ?? 100,
    now: () => clock,
  });
  cache.resume();
  return cache;
}

describe('SessionReadCache', () => {
  it('serves a read until its time to live, then forgets it', () => {
    const cache = listeningCache();
    const value = read();
    cache.remember(cache.begin(), 'k', 'f', value, far);
    clock += 1_999;
    expect(cache.lookup('k', 'f')).toBe(value);
    expect(cache.lookup('k', 'other fields')).toBeUndefined();
    clock += 1;
    expect(cache.lookup('k', 'f')).toBeUndefined();
  });

  it('never serves a session past its absolute deadline', () => {
    const cache = listeningCache();
    cache.remember(cache.begin(), 'k', 'f', read(clock + 500), far);
    clock += 500;
    expect(cache.lookup('k', 'f')).toBeUndefined();
  });

  it('never serves a session past the idle deadline its read slid it to', () => {
    const cache = listeningCache();
    cache.remember(cache.begin(), 'k', 'f', read(), clock + 300);
    clock += 300;
    expect(cache.lookup('k', 'f')).toBeUndefined();
  });

  it('does not keep a read that a write overtook, here or in another replica', () => {
    const cache = listeningCache();
    const ticket = cache.begin();
    cache.invalidate('another session'); // any write: the epoch is global
    cache.remember(ticket, 'k', 'f', read(), far);
    expect(cache.lookup('k', 'f')).toBeUndefined();
    cache.remember(cache.begin(), 'k', 'f', read(), far);
    cache.invalidate('k');
    expect(cache.lookup('k', 'f')).toBeUndefined();
  });

  it('keeps nothing before it listens, forgets all when suspended, and keeps no read begun before', () => {
    const cache = new SessionReadCache({ ttlMs: 2_000, maxSessions: 10, now: () => clock });
    cache.remember(cache.begin(), 'k', 'f', read(), far);
    expect(cache.lookup('k', 'f')).toBeUndefined();
    cache.resume();
    const before = cache.begin();
    cache.remember(cache.begin(), 'k', 'f', read(), far);
    cache.suspend();
    expect(cache.lookup('k', 'f')).toBeUndefined();
    cache.resume();
    cache.remember(before, 'k', 'f', read(), far); // begun before the suspension: announcements may be missing
    expect(cache.lookup('k', 'f')).toBeUndefined();
  });

  it('does not keep an absent session', () => {
    const cache = listeningCache();
    cache.remember(cache.begin(), 'k', 'f', null, far);
    expect(cache.size).toBe(0);
  });

  it('holds at most maxSessions, evicting the oldest first', () => {
    const cache = listeningCache({ maxSessions: 2 });
    for (const key of ['a', 'b', 'c']) cache.remember(cache.begin(), key, 'f', read(), far);
    expect(cache.size).toBe(2);
    expect(cache.lookup('a', 'f')).toBeUndefined();
    expect(cache.lookup('c', 'f')).toBeDefined();
  });
});
