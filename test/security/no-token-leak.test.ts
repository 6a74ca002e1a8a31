// No token, code, cookie value or secret in any log line, at any level (contract §5), across logins and proxying.
import { describe, expect, it } from 'vitest';
import {
  sessionIdOf,
  sessionSecret,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({ LOG_LEVEL: 'trace' }, (started) => (harness = started));

describe('logs', () => {
  it('hold no token, code, cookie value or secret after logins, failures and proxied requests', async () => {
    const browser = new TestBrowser();
    const callback = await browser.followUntil(
      `${harness.url}/auth/login/graph`,
      `${harness.url}/auth/callback/`,
    );
    const code = callback.searchParams.get('code') ?? '';
    const state = callback.searchParams.get('state') ?? '';
    expect((await browser.fetch(callback)).status).toBe(302);
    // Replays, forgeries and failures log too: they must not echo what they were sent.
    await browser.fetch(callback);
    await fetch(`${harness.url}/auth/callback/graph?state=${state}&code=${code}`);
    await harness.login(new TestBrowser(), '?login_hint=cancel');
    const csrf = { 'x-csrf': '1' };
    await browser.fetch(`${harness.url}/graph/v1.0/me?secret_query=visible`, { headers: csrf });
    await browser.fetch(`${harness.url}/graph/v1.0/me`);
    await browser.fetch(`${harness.url}/graph/v1.0/slow?ms=2500`, { headers: csrf });
    await fetch(`${harness.url}/graph/v1.0/me`, {
      headers: {
        ...csrf,
        cookie: 'bff-session=Fe26.2*forged',
        authorization: 'Bearer client-sent-token',
      },
    });

    const cookie = browser.cookie('127.0.0.1', 'bff-session') ?? '';
    const sid = await sessionIdOf(browser);
    const snapshot = await harness.gateway.dependencies.sessions.loadSnapshot(sid);
    const tokens = snapshot?.providers.get('graph');
    const secrets: Record<string, string | null | undefined> = {
      code,
      state,
      cookie,
      sessionId: sid,
      accessToken: tokens?.accessToken,
      refreshToken: tokens?.refreshToken,
      clientSecret: harness.openIdProvider.clientSecret,
      sessionSecret,
      clientSentToken: 'client-sent-token',
    };
    const logs = harness.logs.join('\n');
    expect(harness.logs.length).toBeGreaterThan(5);
    for (const [name, value] of Object.entries(secrets)) {
      expect(value, name).toBeTruthy();
      expect(logs.includes(value ?? ''), `${name} appears in the logs`).toBe(false);
    }
  });
});
