// The test harness itself: a stack that fails half-way through starting leaves nothing behind.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startGatewayHarness } from './gateway-harness.ts';

/** The names of this process's running children (a redis-server left behind would be one). */
function childCommands(): string[] {
  try {
    return execFileSync('ps', ['-o', 'comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && line !== 'ps');
  } catch {
    return []; // ps exits 1 when there are none
  }
}

describe('startGatewayHarness', () => {
  it('closes the Redis and stand-ins it started when a later step fails, and rethrows', async () => {
    expect(childCommands()).not.toContain('redis-server');
    // A session secret too short for the configuration: loadConfig throws after Redis, the
    // OpenID provider and mock Graph are running.
    await expect(startGatewayHarness({ SESSION_SECRET: 'short' })).rejects.toThrow(
      /SESSION_SECRET/,
    );
    expect(childCommands()).not.toContain('redis-server');
  });
});
