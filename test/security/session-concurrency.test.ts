// One session cannot starve the shared upstream pool: past its in-flight cap requests wait in line, then get 429; other sessions keep working.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { maximumRequestsInFlightPerSession } from '../../src/gateway/in-flight-limit.ts';
import {
  sessionCookieName,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

/** Starts a huge download and stops reading once its headers arrived: the request stays in flight. */
function stalledDownload(
  cookie: string,
): Promise<{ request: ClientRequest; response: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${harness.url}/graph/v1.0/download?bytes=${1024 ** 3}`, {
      agent: false,
      headers: { 'x-csrf': '1', cookie: `${sessionCookieName}=${cookie}` },
    });
    request.on('response', (response) => {
      response.pause();
      resolve({ request, response });
    });
    request.on('error', reject);
    request.end();
  });
}

describe('requests in flight per session', () => {
  it('past the cap requests wait in line, get 429 with Retry-After when no slot frees, while another session is served', async () => {
    const attacker = new TestBrowser();
    const victim = new TestBrowser();
    expect((await harness.login(attacker)).status).toBe(302);
    expect((await harness.login(victim)).status).toBe(302);
    const attackerCookie = attacker.cookie('127.0.0.1', sessionCookieName) ?? '';
    const stalled = await Promise.all(
      Array.from({ length: maximumRequestsInFlightPerSession }, () =>
        stalledDownload(attackerCookie),
      ),
    );
    try {
      expect(stalled.every(({ response }) => response.statusCode === 200)).toBe(true);
      const started = performance.now();
      const refused = await attacker.fetch(`${harness.url}/graph/v1.0/me`, {
        headers: { 'x-csrf': '1' },
      });
      // It waited its turn for UPSTREAM_TIMEOUT_S (2 s in the harness), then gave up.
      expect(performance.now() - started).toBeGreaterThan(1_800);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({
        type: 'urn:bff:too-many-requests',
        status: 429,
      });
      const served = await victim.fetch(`${harness.url}/graph/v1.0/me`, {
        headers: { 'x-csrf': '1' },
      });
      expect(served.status).toBe(200);

      // A request in line is served as soon as one of the stalled ones ends.
      const queued = attacker.fetch(`${harness.url}/graph/v1.0/me`, {
        headers: { 'x-csrf': '1' },
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      stalled[0]?.request.destroy();
      expect((await queued).status).toBe(200);
    } finally {
      for (const { request } of stalled) request.destroy();
    }
  });
});
