// A revocation endpoint that never answers, or refuses: logout still ends the session, at most two seconds late, and says so in a warning.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sessionReference } from '../../src/observability/audit.ts';
import { secretDigest } from '../../src/observability/secret-digest.ts';
import {
  sessionIdOf,
  startGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback-server.ts';
import { TestBrowser } from '../support/test-browser.ts';
import { auditLinesOf } from '../support/log-lines.ts';

let harness: GatewayHarness;
let hangingRevocation: LoopbackServer;
let revocationAttempts = 0;
/** How the revocation endpoint behaves: never answers, or answers an RFC 7009 §2.2.1 error. */
let revocationAnswer: 'hang' | 'refuse' = 'hang';

beforeAll(async () => {
  hangingRevocation = await startLoopbackServer();
  hangingRevocation.server.on('request', (_request, response) => {
    revocationAttempts += 1;
    if (revocationAnswer === 'refuse')
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"error":"unsupported_token_type"}');
  });
  harness = await startGatewayHarness(
    { SERVICENOW_REVOCATION_URL: `${hangingRevocation.origin}/oauth_revoke_token.do` },
    { serviceNow: true },
  );
});
afterAll(async () => {
  await harness.close();
  await hangingRevocation.close();
});

it('answers 200 after at most two seconds, the session gone, the failure logged without a token', async () => {
  const browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
  expect((await harness.loginServiceNow(browser)).status).toBe(302);
  const sessionId = await sessionIdOf(browser);
  const started = Date.now();
  const response = await browser.fetch(`${harness.url}/auth/logout`, {
    method: 'POST',
    headers: { 'x-csrf': '1' },
  });
  const elapsedMs = Date.now() - started;
  expect(response.status).toBe(200);
  expect(revocationAttempts).toBe(1);
  // Revocation waits at most 2 s (PROVIDER_TIMEOUT_S is 3 in the harness), plus scheduling.
  expect(elapsedMs).toBeGreaterThanOrEqual(1_900);
  expect(elapsedMs).toBeLessThan(2_900);
  const keys = await harness.redis.client.keys(`bff:*${secretDigest(sessionId)}*`);
  expect(keys).toEqual([]);
  const warnings = harness.logs.filter((line) => line.includes('token revocation failed'));
  expect(warnings).toHaveLength(1);
  expect(JSON.parse(warnings[0] ?? '{}')).toMatchObject({ provider: 'servicenow', level: 'warn' });
  const audit = auditLinesOf(harness.logs, 'logout').find((line) => line.reason === 'user_logout');
  expect(audit).toMatchObject({ revocation: 'graph:not_supported,servicenow:failed' });
});

it('counts an error answer of the revocation endpoint as failed, not revoked, and logs it', async () => {
  revocationAnswer = 'refuse';
  const browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
  expect((await harness.loginServiceNow(browser)).status).toBe(302);
  const sessionId = await sessionIdOf(browser);
  const warningsBefore = harness.logs.filter((line) => line.includes('token revocation failed'));
  const response = await browser.fetch(`${harness.url}/auth/logout`, {
    method: 'POST',
    headers: { 'x-csrf': '1' },
  });
  expect(response.status).toBe(200);
  const warnings = harness.logs.filter((line) => line.includes('token revocation failed'));
  expect(warnings.length).toBe(warningsBefore.length + 1);
  const audit = auditLinesOf(harness.logs, 'logout').find(
    (line) => line.session === sessionReference(sessionId),
  );
  expect(audit).toMatchObject({ revocation: 'graph:not_supported,servicenow:failed' });
});
