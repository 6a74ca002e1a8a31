// What the browser holds and what the store holds (contract §5), and GET /auth/session (contract §3).
import { sealData, unsealData } from 'iron-session';
import { describe, expect, it } from 'vitest';
import { absoluteDeadlineField } from '../../src/session/store-arguments.ts';
import { createStoreKeys } from '../../src/session/store-keys.ts';
import {
  sessionCookieName,
  sessionIdOf,
  sessionSecret,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

const cookieName = sessionCookieName;

async function signedIn(): Promise<{ browser: TestBrowser; sessionId: string }> {
  const browser = new TestBrowser();
  const response = await harness.login(browser);
  expect(response.status).toBe(302);
  return { browser, sessionId: await sessionIdOf(browser) };
}

describe('GET /auth/session', () => {
  it('without a session lists every enabled provider as not connected, with its login URL', async () => {
    const response = await fetch(`${harness.url}/auth/session`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      authenticated: false,
      user: null,
      providers: { graph: { connected: false, login_url: '/auth/login/graph' } },
    });
  });

  it('with a session names the user and never carries a token', async () => {
    const { browser, sessionId } = await signedIn();
    const text = await (await browser.fetch(`${harness.url}/auth/session`)).text();
    const snapshot = await harness.gateway.dependencies.sessions.loadSnapshot(sessionId);
    const tokens = snapshot?.providers.get('graph');
    expect(tokens?.accessToken.length).toBeGreaterThan(10);
    expect(text).not.toContain(tokens?.accessToken);
    expect(text).not.toContain(tokens?.refreshToken);
    expect(JSON.parse(text)).toMatchObject({
      authenticated: true,
      user: { sub: 'alice' },
      providers: { graph: { connected: true } },
    });
  });
});

describe('the browser holds one sealed cookie with no token in it', () => {
  it('the session cookie unseals to a session id only', async () => {
    const { browser } = await signedIn();
    const data = await unsealData<Record<string, unknown>>(
      browser.cookie('127.0.0.1', cookieName) ?? '',
      { password: sessionSecret },
    );
    expect(Object.keys(data).sort()).toEqual(['exp', 'sid']);
    expect(data.sid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ['garbage', 'not-a-seal'],
    ['a truncated seal', 'Fe26.2*1*abc'],
    ['a huge value', `Fe26.2*${'a'.repeat(3500)}`],
  ])('a %s cookie is answered 401 no_session, never 5xx', async (_name, value) => {
    const browser = new TestBrowser();
    browser.setCookie('127.0.0.1', cookieName, value);
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { reason: string }).reason).toBe('no_session');
    const session = await browser.fetch(`${harness.url}/auth/session`);
    expect(session.status).toBe(200);
  });

  it('a cookie past the expiry sealed inside it is answered 401 no_session, even for a live session', async () => {
    const { sessionId } = await signedIn();
    const expired = await sealData(
      { sid: sessionId, exp: String(Date.now() - 1) },
      { password: sessionSecret, ttl: 600 },
    );
    const browser = new TestBrowser();
    browser.setCookie('127.0.0.1', cookieName, expired);
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { reason: string }).reason).toBe('no_session');
  });

  it('a tampered cookie (one character changed) is answered 401 no_session', async () => {
    const { browser } = await signedIn();
    const cookie = browser.cookie('127.0.0.1', cookieName) ?? '';
    const index = Math.floor(cookie.length / 2);
    const tampered =
      cookie.slice(0, index) + (cookie[index] === 'A' ? 'B' : 'A') + cookie.slice(index + 1);
    browser.setCookie('127.0.0.1', cookieName, tampered);
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { reason: string }).reason).toBe('no_session');
  });
});

describe('the store holds tokens encrypted, every key prefixed and expiring', () => {
  it('no Redis key lacks the prefix or a TTL, and no token is readable in any key or value', async () => {
    const { sessionId } = await signedIn();
    const snapshot = await harness.gateway.dependencies.sessions.loadSnapshot(sessionId);
    const tokens = snapshot?.providers.get('graph');
    const secrets = [tokens?.accessToken, tokens?.refreshToken, sessionId].filter(
      (value): value is string => typeof value === 'string',
    );
    expect(secrets.length).toBe(3);
    const client = harness.redis.client;
    const keys = await client.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key.startsWith('bff:'), key).toBe(true);
      expect(await client.pttl(key), key).toBeGreaterThan(0);
      const type = await client.type(key);
      const dump =
        type === 'hash'
          ? JSON.stringify(await client.hgetall(key))
          : type === 'set'
            ? JSON.stringify(await client.smembers(key))
            : String(await client.get(key));
      for (const secret of secrets) {
        expect(key).not.toContain(secret);
        expect(dump).not.toContain(secret);
      }
      expect(dump).not.toContain('alice@');
    }
  });

  it("a token value copied into another session's record does not decrypt there", async () => {
    const alice = await signedIn();
    const bob = await signedIn();
    const keys = createStoreKeys('bff:');
    const stolen = await harness.redis.client.hget(keys.session(alice.sessionId), 'tokens:graph');
    expect(stolen).toBeTruthy();
    await harness.redis.client.hset(keys.session(bob.sessionId), 'tokens:graph', stolen ?? '');
    const response = await bob.browser.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { reason: string }).reason).toBe('not_connected');
  });

  it('the session lives no longer than the idle timeout in the store', async () => {
    const { sessionId } = await signedIn();
    const keys = await harness.redis.client.keys('bff:session:*');
    const ttls = await Promise.all(keys.map((key) => harness.redis.client.pttl(key)));
    expect(Math.max(...ttls)).toBeLessThanOrEqual(harness.config.sessionIdleTimeoutSeconds * 1000);
    expect(sessionId).not.toBe('');
  });

  it('a session whose record expired answers session_expired', async () => {
    const { browser, sessionId } = await signedIn();
    const before = await browser.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(before.status).toBe(200);
    await harness.gateway.dependencies.sessions.endSession(sessionId);
    const after = await browser.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({
      type: 'urn:bff:reauth-required',
      reason: 'session_expired',
      provider: 'graph',
    });
  });

  it('a session past its absolute deadline answers session_expired, however active it is', async () => {
    const { browser } = await signedIn();
    const keys = await harness.redis.client.keys('bff:session:*');
    // Every session here was created by this file; pushing each deadline into the past ends them all.
    for (const key of keys)
      await harness.redis.client.hset(key, absoluteDeadlineField, String(Date.now() - 1));
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ reason: 'session_expired' });
    expect(await harness.redis.client.keys('bff:session:*')).toHaveLength(keys.length - 1);
  });
});
