// A full scenario at LOG_LEVEL=trace: every security event leaves one audit line, and no line holds a token, code, cookie or secret.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { sessionReference } from '../../src/observability/audit.ts';
import { secretDigest } from '../../src/observability/secret-digest.ts';
import {
  sessionIdOf,
  sessionSecret,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';
import { parsedLogLines, type LogLine } from '../support/log-lines.ts';

let harness: GatewayHarness;
useGatewayHarness({ LOG_LEVEL: 'trace' }, (started) => (harness = started), {
  serviceNow: true,
  backChannelLogout: true,
});

const csrf = { 'x-csrf': '1' };
/** Everything secret the scenario saw; none may appear in any log line. */
const secrets = new Map<string, string>();
/** The session ids the scenario's logins produced, in order. */
const sessionIds: string[] = [];

function remember(name: string, value: string | null | undefined): void {
  if (value === null || value === undefined || value === '') throw new Error(`${name} is empty`);
  secrets.set(`${name}#${secrets.size}`, value);
}

/** A login whose code, state and cookies are remembered as secrets. */
async function signIn(browser: TestBrowser, provider: string, query = ''): Promise<Response> {
  const callback = await browser.followUntil(
    `${harness.url}/auth/login/${provider}${query}`,
    `${harness.url}/auth/callback/`,
  );
  remember('state', callback.searchParams.get('state'));
  if (callback.searchParams.has('code')) remember('code', callback.searchParams.get('code'));
  for (const value of browser.cookieValues('127.0.0.1')) remember('cookie', value);
  const response = await browser.fetch(callback);
  for (const value of browser.cookieValues('127.0.0.1')) remember('cookie', value);
  if (response.status === 302 && !callback.searchParams.has('error')) {
    const sessionId = await sessionIdOf(browser);
    sessionIds.push(sessionId);
    remember('sessionId', sessionId);
  }
  return response;
}

async function runScenario(): Promise<void> {
  const alice = new TestBrowser();
  expect((await signIn(alice, 'graph')).status).toBe(302);
  expect((await signIn(alice, 'servicenow')).status).toBe(302);
  const graphMe = () => alice.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
  expect((await graphMe()).status).toBe(200);
  const incidents = `${harness.url}/servicenow/api/now/table/incident`;
  expect((await alice.fetch(incidents, { headers: csrf })).status).toBe(200);
  expect((await alice.fetch(`${harness.url}/graph/v1.0/me`, { method: 'POST' })).status).toBe(403);
  harness.clock.advance(301_000);
  expect((await graphMe()).status).toBe(200);
  await harness.openIdProvider.revokeAccount('alice');
  harness.clock.advance(301_000);
  expect((await graphMe()).status).toBe(401);
  expect(
    (await alice.fetch(`${harness.url}/auth/logout`, { method: 'POST', headers: csrf })).status,
  ).toBe(200);

  expect((await signIn(new TestBrowser(), 'graph', '?login_hint=cancel')).status).toBe(302);

  const bob = new TestBrowser();
  expect((await signIn(bob, 'graph', '?login_hint=bob')).status).toBe(302);
  const bobSession = await harness.gateway.dependencies.sessions.loadSnapshot(
    sessionIds.at(-1) ?? '',
  );
  // Issued at the gateway's clock, which the scenario moved ten minutes on.
  const issuedAt = Math.floor(harness.clock.now() / 1000);
  const logoutToken = await harness.openIdProvider.logoutTokens.sign({
    claims: { sid: bobSession?.user?.providerSessionId, iat: issuedAt, exp: issuedAt + 120 },
  });
  remember('logoutToken', logoutToken);
  for (const attempt of [1, 2]) {
    const response = await fetch(`${harness.url}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: logoutToken }),
    });
    // The second is a replay.
    expect(response.status).toBe(attempt === 1 ? 200 : 400);
  }
}

function logLines(): LogLine[] {
  return parsedLogLines(harness.logs);
}

function auditLine(event: string, match: Record<string, unknown> = {}) {
  return logLines().find(
    (line) =>
      line.audit === true &&
      line.event === event &&
      Object.entries(match).every(([name, value]) => line[name] === value),
  );
}

beforeAll(async () => {
  await runScenario();
  for (const value of harness.openIdProvider.issuedSecrets) remember('openIdToken', value);
  for (const value of harness.serviceNow?.issuedSecrets ?? []) remember('serviceNowSecret', value);
  remember('graphClientSecret', harness.openIdProvider.clientSecret);
  remember('serviceNowClientSecret', harness.serviceNow?.clientSecret);
  remember('sessionSecret', sessionSecret);
});

describe('the audit trail of a full scenario', () => {
  it.each([
    ['login', { provider: 'graph', sub: 'alice', outcome: 'success' }],
    ['login', { provider: 'servicenow', outcome: 'success' }],
    ['login_failed', { provider: 'graph', outcome: 'failure', reason: 'access_denied' }],
    ['refresh', { provider: 'graph', sub: 'alice', outcome: 'success' }],
    ['refresh_failed', { provider: 'graph', outcome: 'failure', provider_error: 'invalid_grant' }],
    ['reauth', { provider: 'graph', reason: 'refresh_failed', outcome: 'failure' }],
    ['csrf_rejected', { provider: 'graph', outcome: 'failure' }],
    ['logout', { sub: 'alice', outcome: 'success', reason: 'user_logout' }],
    ['backchannel_logout', { provider: 'graph', sub: 'bob', outcome: 'success' }],
    ['backchannel_logout', { outcome: 'failure', reason: 'invalid_logout_token' }],
  ] as const)('has a %s line %o', (event, match) => {
    expect(auditLine(event, match)).toBeDefined();
  });

  it('names sessions by a hash that matches across lines, never by the id', () => {
    const [graphLogin, joinedLogin] = sessionIds;
    // Computed here, not by the code under test: a hash of the store digest, not a piece of it.
    const storeDigest = secretDigest(graphLogin ?? '');
    const expected = createHash('sha256')
      .update(`log:${storeDigest}`)
      .digest('base64url')
      .slice(0, 16);
    const graphLoginLine = auditLine('login', { provider: 'graph' });
    expect(graphLoginLine?.session).toBe(expected);
    expect(storeDigest.includes(String(graphLoginLine?.session))).toBe(false);
    expect(sessionReference(graphLogin ?? '')).toBe(expected);
    // No audit line carries a session id field at all (redaction would only mask it).
    expect(logLines().filter((line) => line.audit === true && 'sessionId' in line)).toEqual([]);
    const joined = sessionReference(joinedLogin ?? '');
    for (const event of ['refresh', 'refresh_failed', 'reauth', 'logout'])
      expect(auditLine(event, { session: joined }), event).toBeDefined();
  });

  it('holds no token, code, state, cookie value or secret in any line, at any level', () => {
    const text = harness.logs.join('\n');
    expect(logLines().some((line) => line.level === 'trace' || line.level === 'debug')).toBe(true);
    expect(secrets.size).toBeGreaterThan(20);
    for (const [name, value] of secrets)
      expect(text.includes(value), `${name} is logged`).toBe(false);
  });
});
