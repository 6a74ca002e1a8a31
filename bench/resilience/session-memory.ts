// Many sessions in Redis: what each costs in Redis memory and keys, and that every key the gateway wrote expires by itself.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { startGatewayHarness } from '../../test/support/gateway-harness.ts';
import type { ProviderTokens, SessionUser } from '../../src/session/session-types.ts';
import { createStoreKeys } from '../../src/session/store-keys.ts';

export interface SessionMemoryOptions {
  readonly sessions: number;
  /** Logins committed at once. */
  readonly batch: number;
}

export interface SessionMemoryResult {
  readonly options: SessionMemoryOptions;
  /** Growth of Redis `used_memory` (INFO memory) divided by the number of sessions. */
  readonly bytesPerSession: number;
  readonly usedMemoryGrowthMb: number;
  /** Keys added, per session: the session hash plus its back-channel logout index sets. */
  readonly keysPerSession: number;
  /** `MEMORY USAGE` of one session hash (bytes): the hash alone, tokens sealed. */
  readonly sessionHashBytes: number;
  /** Keys the gateway wrote that have no expiry (must be 0). */
  readonly keysWithoutTtl: number;
  readonly keysChecked: number;
  /** Shortest and longest remaining TTL seen, in seconds. */
  readonly ttlSeconds: { readonly min: number; readonly max: number };
  readonly sessionsPerSecond: number;
}

/** Base64url of this many random bytes: token-shaped filler of a realistic length. */
const randomText = (bytes: number): string => randomBytes(bytes).toString('base64url');

/**
 * Tokens the size Entra issues: an access token is a JWT of ~1.5–2.5 KB (header, ~30 claims,
 * RS256 signature), a refresh token an opaque string of ~1–1.5 KB.
 */
function realisticTokens(subject: string, now: number): ProviderTokens {
  const accessToken = `${randomText(70)}.${randomText(1_100)}.${randomText(256)}`;
  return {
    accessToken,
    refreshToken: `1.${randomText(800)}`,
    expiresAtMs: now + 3_600_000,
    scopes: ['openid', 'profile', 'email', 'offline_access', 'User.Read', 'Mail.Read'],
    subject,
  };
}

function realisticUser(issuer: string, tenantId: string): SessionUser {
  const sub = randomText(32);
  const name = `User ${randomUUID().slice(0, 8)}`;
  return {
    sub,
    name,
    email: `${name.replace(' ', '.').toLowerCase()}@contoso.example`,
    loginHint: randomText(110),
    tenantId,
    issuer,
    providerSessionId: randomUUID(),
  };
}

async function usedMemory(client: { info(section: string): Promise<string> }): Promise<number> {
  const match = /^used_memory:(\d+)/m.exec(await client.info('memory'));
  return Number(match?.[1] ?? Number.NaN);
}

export async function runSessionMemory(
  options: SessionMemoryOptions,
): Promise<SessionMemoryResult> {
  const harness = await startGatewayHarness({ LOG_LEVEL: 'error' });
  try {
    const { client } = harness.redis;
    const { sessions } = harness.gateway.dependencies;
    const issuer = harness.openIdProvider.issuer;
    const tenantId = harness.openIdProvider.tenantId;
    await client.flushall();
    const memoryBefore = await usedMemory(client);
    const keysBefore = await client.dbsize();
    const startedAt = performance.now();
    const sessionIds: string[] = [];
    for (let created = 0; created < options.sessions; created += options.batch) {
      const count = Math.min(options.batch, options.sessions - created);
      const ids = await Promise.all(
        Array.from({ length: count }, () => {
          const user = realisticUser(issuer, tenantId);
          return sessions.commitLogin({
            previous: null,
            provider: 'graph',
            tokens: realisticTokens(user.sub, Date.now()),
            user,
          });
        }),
      );
      sessionIds.push(...ids);
    }
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    const memoryAfter = await usedMemory(client);
    const keysAfter = await client.dbsize();
    const ttls = await keyTtls(client);
    const sessionKey = createStoreKeys(harness.config.redisKeyPrefix).session(sessionIds[0] ?? '');
    const sessionHashBytes = Number(await client.memory('USAGE', sessionKey));
    const withTtl = ttls.filter((ttl) => ttl >= 0);
    return {
      options,
      bytesPerSession: Math.round((memoryAfter - memoryBefore) / options.sessions),
      usedMemoryGrowthMb: Math.round(((memoryAfter - memoryBefore) / 1024 / 1024) * 10) / 10,
      keysPerSession: Math.round(((keysAfter - keysBefore) / options.sessions) * 100) / 100,
      sessionHashBytes,
      keysWithoutTtl: ttls.filter((ttl) => ttl === -1).length,
      keysChecked: ttls.length,
      ttlSeconds: {
        min: Math.floor(Math.min(...withTtl) / 1000),
        max: Math.floor(Math.max(...withTtl) / 1000),
      },
      sessionsPerSecond: Math.round(options.sessions / elapsedSeconds),
    };
  } finally {
    await harness.close();
  }
}

/** PTTL of every key (SCAN, then pipelined): -1 means no expiry, -2 gone meanwhile. */
async function keyTtls(client: Redis): Promise<number[]> {
  const ttls: number[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.pttl(key);
    for (const [error, ttl] of (await pipeline.exec()) ?? []) {
      if (error === null) ttls.push(Number(ttl));
    }
  } while (cursor !== '0');
  return ttls;
}
