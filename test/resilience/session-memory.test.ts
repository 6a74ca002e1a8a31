// Thousands of sessions in Redis: each costs a few kilobytes and three keys, and every key the gateway wrote expires by itself.
import { describe, expect, it } from 'vitest';
import { runSessionMemory } from '../../bench/resilience/session-memory.ts';

describe('sessions in Redis', () => {
  it('2,000 sessions with Entra-sized tokens: under 10 KB and exactly 3 keys each, every key with a TTL', async () => {
    const result = await runSessionMemory({ sessions: 2_000, batch: 200 });
    expect(result.keysWithoutTtl).toBe(0);
    expect(result.keysChecked).toBe(2_000 * 3);
    // The session hash, and the back-channel logout indexes by user and by provider session.
    expect(result.keysPerSession).toBe(3);
    expect(result.bytesPerSession).toBeLessThan(10_000);
    // SESSION_IDLE_TIMEOUT_S (8 h) for the hash, SESSION_ABSOLUTE_TIMEOUT_S (24 h) at most.
    expect(result.ttlSeconds.max).toBeLessThanOrEqual(86_400);
    expect(result.ttlSeconds.min).toBeGreaterThan(0);
  }, 30_000);
});
