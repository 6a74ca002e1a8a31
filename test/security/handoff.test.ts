// Handoff codes under attack (contract §6): stolen, replayed, guessed, expired, forged requests, and what the store and logs keep.
import { describe, expect, it } from 'vitest';
import {
  sessionCookieName,
  sessionIdOf,
  sessionSecret,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import {
  handoffCode,
  handoffCookieName,
  host,
  postJson,
  redeem,
  sessionOf,
  startHandoff,
} from '../support/handoff-steps.ts';
import { createStoreKeys } from '../../src/session/store-keys.ts';
import { auditLinesOf } from '../support/log-lines.ts';
import { dumpStore } from '../support/store-dump.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({ LOG_LEVEL: 'trace' }, (started) => (harness = started));

async function expectRefused(answer: Response): Promise<void> {
  expect(answer.status).toBe(400);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  expect(((await answer.json()) as { type: string }).type).toBe('urn:bff:invalid-handoff');
  expect(answer.headers.getSetCookie().some((line) => line.startsWith(sessionCookieName))).toBe(
    false,
  );
}

describe('a handoff code in the wrong hands', () => {
  it('is refused from a context without the handoff cookie, and stays redeemable by its own', async () => {
    const app = new TestBrowser();
    const { code } = await handoffCode(harness, app, new TestBrowser());
    const failuresBefore = auditLinesOf(harness.logs, 'login_failed').length;
    const thief = new TestBrowser();
    await expectRefused(await redeem(harness, thief, code));
    expect((await sessionOf(harness, thief)).authenticated).toBe(false);
    expect(auditLinesOf(harness.logs, 'login_failed').slice(failuresBefore)).toEqual([
      expect.objectContaining({ reason: 'invalid_handoff', outcome: 'failure' }),
    ]);
    expect((await redeem(harness, app, code)).status).toBe(200);
  });

  it("is refused with ANOTHER context's handoff cookie, and the right context can still redeem it", async () => {
    const app = new TestBrowser();
    const { code } = await handoffCode(harness, app, new TestBrowser());
    const attacker = new TestBrowser();
    await startHandoff(harness, attacker);
    expect(attacker.cookie(host, handoffCookieName)).toBeDefined();
    await expectRefused(await redeem(harness, attacker, code));
    expect((await sessionOf(harness, attacker)).authenticated).toBe(false);
    expect((await redeem(harness, app, code)).status).toBe(200);
    expect((await sessionOf(harness, app)).providers.graph?.connected).toBe(true);
  });

  it("is refused with a pending-login cookie the thief sealed for the victim's handoff id, presented as a handoff cookie", async () => {
    // The thief has the code AND the handoff id (both pass through the sign-in window: its login
    // URL and its return_to fragment), but not the app context's handoff cookie.
    const app = new TestBrowser();
    const { code, handoffId } = await handoffCode(harness, app, new TestBrowser());
    const thief = new TestBrowser();
    const started = await thief.fetch(
      `${harness.url}/auth/login/graph?mode=handoff&handoff_id=${handoffId}`,
    );
    expect(started.status).toBe(302);
    const loginCookie = started.headers
      .getSetCookie()
      .map((line) => line.slice(0, line.indexOf(';')))
      .find((pair) => pair.startsWith('bff-login-'));
    expect(loginCookie).toBeDefined();
    // The gateway's own seal, for the same handoff id and provider, under the handoff cookie's name.
    thief.setCookie(
      host,
      handoffCookieName,
      loginCookie?.slice(loginCookie.indexOf('=') + 1) ?? '',
    );
    await expectRefused(await redeem(harness, thief, code));
    expect((await sessionOf(harness, thief)).authenticated).toBe(false);
    expect((await redeem(harness, app, code)).status).toBe(200);
  });

  it('is redeemed once: a second redemption is refused and leaves the first session intact', async () => {
    const app = new TestBrowser();
    const { code, handoffId } = await handoffCode(harness, app, new TestBrowser());
    const handoffCookie = app.cookie(host, handoffCookieName) ?? '';
    expect((await redeem(harness, app, code)).status).toBe(200);
    const sessionId = await sessionIdOf(app);
    // The handoff cookie put back (a replaying attacker kept it): the code is gone all the same.
    app.setCookie(host, handoffCookieName, handoffCookie);
    await expectRefused(await redeem(harness, app, code));
    expect(await sessionIdOf(app)).toBe(sessionId);
    expect((await sessionOf(harness, app)).authenticated).toBe(true);
    expect(handoffId).not.toBe(code);
  });

  it('goes to exactly one of many concurrent redemptions', async () => {
    const app = new TestBrowser();
    const { code } = await handoffCode(harness, app, new TestBrowser());
    const answers = await Promise.all(Array.from({ length: 8 }, () => redeem(harness, app, code)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([
      200,
      ...Array.from({ length: 7 }, () => 400),
    ]);
  });

  it('cannot be guessed: a well-formed random code and malformed ones are refused alike', async () => {
    const app = new TestBrowser();
    await handoffCode(harness, app, new TestBrowser());
    for (const guess of ['A'.repeat(43), 'abc', 'A'.repeat(44), `${'A'.repeat(42)}=`, '../x'])
      await expectRefused(await redeem(harness, app, guess));
    const notAString = await postJson(harness, app, '/auth/handoff/redeem', { code: 42 });
    expect(notAString.status).toBe(400);
    expect(((await notAString.json()) as { type: string }).type).toBe('urn:bff:invalid-request');
  });

  it('has at least 256 bits: 43 base64url characters, never twice the same, nor the handoff id', async () => {
    const seen = new Set<string>();
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const { code, handoffId } = await handoffCode(harness, new TestBrowser(), new TestBrowser());
      expect(code).toMatch(/^[A-Za-z0-9_-]{43,}$/);
      expect(handoffId).toMatch(/^[A-Za-z0-9_-]{43,}$/);
      seen.add(code).add(handoffId);
    }
    expect(seen.size).toBe(8);
  });
});

describe('hostile handoff requests', () => {
  it('refuses both endpoints without X-CSRF: 1 (403), setting no cookie', async () => {
    const browser = new TestBrowser();
    for (const [path, body] of [
      ['/auth/handoff', { provider: 'graph' }],
      ['/auth/handoff/redeem', { code: 'A'.repeat(43) }],
    ] as const) {
      const answer = await postJson(harness, browser, path, body, {});
      expect(answer.status).toBe(403);
      expect(answer.headers.getSetCookie()).toEqual([]);
    }
  });

  it.each([
    ['not JSON', 400, 'application/json', '{"provider":'],
    ['an array', 400, 'application/json', '["graph"]'],
    ['a form', 400, 'application/x-www-form-urlencoded', 'provider=graph'],
    ['text/plain', 400, 'text/plain', '{"provider":"graph"}'],
    ['larger than 4 KiB', 413, 'application/json', JSON.stringify({ provider: 'x'.repeat(5000) })],
  ])('answers a body that is %s with %i', async (_name, status, contentType, body) => {
    for (const path of ['/auth/handoff', '/auth/handoff/redeem']) {
      const answer = await fetch(`${harness.url}${path}`, {
        method: 'POST',
        headers: { 'x-csrf': '1', 'content-type': contentType },
        body,
      });
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('refuses an unknown or disabled provider (404) and an off-origin return_to (400)', async () => {
    const browser = new TestBrowser();
    for (const provider of ['servicenow', 'github', '..'])
      expect((await postJson(harness, browser, '/auth/handoff', { provider })).status).toBe(404);
    for (const returnTo of ['//evil.example', 'https://evil.example/', '/\\evil.example', 7]) {
      const answer = await postJson(harness, browser, '/auth/handoff', {
        provider: 'graph',
        return_to: returnTo,
      });
      expect(answer.status).toBe(400);
    }
    expect(browser.cookie(host, handoffCookieName)).toBeUndefined();
  });

  it.each([
    ['an empty provider', { provider: '' }],
    ['a provider that is not a string', { provider: 7 }],
    ['a null provider', { provider: null }],
    ['a null return_to', { provider: 'graph', return_to: null }],
    ['a return_to that is an object', { provider: 'graph', return_to: { path: '/' } }],
  ])(
    'refuses a start whose body has %s with 400 invalid-request, setting no cookie',
    async (_name, body) => {
      const browser = new TestBrowser();
      const answer = await postJson(harness, browser, '/auth/handoff', body);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { type: string }).type).toBe('urn:bff:invalid-request');
      expect(browser.cookie(host, handoffCookieName)).toBeUndefined();
    },
  );

  it.each([
    ['mode=handoff', 'handoff_id'],
    ['mode=handoff&handoff_id=short', 'handoff_id'],
    [`handoff_id=${'A'.repeat(43)}`, 'handoff_id'],
    [`mode=popup&handoff_id=${'A'.repeat(43)}`, 'handoff_id'],
    [`mode=handoff&handoff_id=${'A'.repeat(43)}&prompt=none`, 'prompt=none'],
    [`mode=handoff&handoff_id=${'A'.repeat(43)}&prompt=login%20none`, 'prompt=none'],
  ])('refuses the login query %s with a 400 naming %s', async (query, parameter) => {
    const answer = await fetch(`${harness.url}/auth/login/graph?${query}`, { redirect: 'manual' });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { detail: string }).detail).toContain(parameter);
  });

  it('never runs silently: a handoff login asks the user to pick the account unless it already asks more', async () => {
    const handoffId = 'A'.repeat(43);
    const promptOf = async (query: string): Promise<string | null> => {
      const answer = await fetch(`${harness.url}/auth/login/graph?${query}`, {
        redirect: 'manual',
      });
      expect(answer.status).toBe(302);
      return new URL(answer.headers.get('location') ?? '').searchParams.get('prompt');
    };
    expect(await promptOf(`mode=handoff&handoff_id=${handoffId}`)).toBe('select_account');
    expect(await promptOf(`mode=handoff&handoff_id=${handoffId}&prompt=login`)).toBe('login');
    // Other modes keep the provider's single sign-on: no prompt unless the app asks.
    expect(await promptOf('mode=popup')).toBeNull();
  });

  it('refuses a forged handoff cookie', async () => {
    const app = new TestBrowser();
    const { code } = await handoffCode(harness, app, new TestBrowser());
    const forger = new TestBrowser();
    forger.setCookie(host, handoffCookieName, 'Fe26.2*forged*cookie');
    await expectRefused(await redeem(harness, forger, code));
    expect((await redeem(harness, app, code)).status).toBe(200);
  });
});

describe('what the store and the logs keep', () => {
  it('Redis holds no readable code, handoff id or token, and no log line names them', async () => {
    const app = new TestBrowser();
    const { code, handoffId } = await handoffCode(harness, app, new TestBrowser());
    const handoffCookie = app.cookie(host, handoffCookieName) ?? '';
    const beforeRedeem = JSON.stringify(await dumpStore(harness.redis));
    await redeem(harness, new TestBrowser(), code);
    await redeem(harness, app, 'A'.repeat(43));
    expect((await redeem(harness, app, code)).status).toBe(200);
    await redeem(harness, app, code);
    const snapshot = await harness.gateway.dependencies.sessions.loadSnapshot(
      await sessionIdOf(app),
    );
    const tokens = snapshot?.providers.get('graph');
    const secrets: Record<string, string | null | undefined> = {
      code,
      handoffId,
      handoffCookie,
      accessToken: tokens?.accessToken,
      refreshToken: tokens?.refreshToken,
      sessionSecret,
    };
    const afterRedeem = JSON.stringify(await dumpStore(harness.redis));
    const logs = harness.logs.join('\n');
    for (const [name, value] of Object.entries(secrets)) {
      expect(value, name).toBeTruthy();
      expect(beforeRedeem.includes(value ?? ''), `${name} in Redis before redeeming`).toBe(false);
      expect(afterRedeem.includes(value ?? ''), `${name} in Redis after redeeming`).toBe(false);
      expect(logs.includes(value ?? ''), `${name} in the logs`).toBe(false);
    }
    const key = createStoreKeys('bff:').handoffCode(handoffId, code);
    expect(beforeRedeem).toContain(key);
    expect(afterRedeem).not.toContain(key);
  });
});

// Last in the file: both move the gateway's clock forward.
describe('handoff lifetimes', () => {
  it('refuses a code older than 60 s', async () => {
    const app = new TestBrowser();
    const { code, handoffId } = await handoffCode(harness, app, new TestBrowser());
    const key = createStoreKeys('bff:').handoffCode(handoffId, code);
    const timeToLive = await harness.redis.client.pttl(key);
    expect(timeToLive).toBeGreaterThan(0);
    expect(timeToLive).toBeLessThanOrEqual(60_000);
    harness.clock.advance(61_000);
    await expectRefused(await redeem(harness, app, code));
  });

  it('refuses a code redeemed with a handoff cookie older than 10 minutes', async () => {
    const app = new TestBrowser();
    const { loginUrl } = await startHandoff(harness, app);
    harness.clock.advance(601_000);
    const window = new TestBrowser();
    const callback = await window.followUntil(
      `${harness.url}${loginUrl}`,
      `${harness.url}/auth/callback/`,
    );
    const answer = await window.fetch(callback);
    const code = new URLSearchParams(new URL(answer.headers.get('location') ?? '').hash.slice(1));
    await expectRefused(await redeem(harness, app, code.get('bff_handoff_code') ?? ''));
  });
});
