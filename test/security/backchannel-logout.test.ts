// OpenID Connect Back-Channel Logout 1.0: the provider ends gateway sessions by `sid` or `sub`; any other token is refused and changes nothing.
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { sessionReference } from '../../src/observability/audit.ts';
import { createStoreKeys } from '../../src/session/store-keys.ts';
import { sessionIdOf, useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { backChannelLogoutEvent } from '../support/openid-provider/logout-tokens.ts';
import { createSigningKey, type LogoutTokenOptions } from '../support/openid-provider.ts';
import { TestBrowser } from '../support/test-browser.ts';
import { auditLinesOf, type LogLine } from '../support/log-lines.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started), {
  serviceNow: true,
  backChannelLogout: true,
});

const csrf = { 'x-csrf': '1' };

async function signedIn(loginHint = 'alice') {
  const browser = new TestBrowser();
  expect((await harness.login(browser, `?login_hint=${loginHint}`)).status).toBe(302);
  const sessionId = await sessionIdOf(browser);
  const user = (await harness.gateway.dependencies.sessions.loadSnapshot(sessionId))?.user;
  if (user?.providerSessionId == null) throw new Error('the ID token carried no sid');
  return { browser, sessionId, sid: user.providerSessionId, sub: user.sub };
}

async function graphStatus(browser: TestBrowser): Promise<number> {
  return (await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf })).status;
}

function postLogoutToken(body: string, contentType = 'application/x-www-form-urlencoded') {
  return fetch(`${harness.url}/auth/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
}

const form = (logoutToken: string): string =>
  new URLSearchParams({ logout_token: logoutToken }).toString();

function auditLines(event: string): LogLine[] {
  return auditLinesOf(harness.logs, event);
}

describe('a valid logout token', () => {
  it("sent by the provider itself for one sid ends that session only, and the user's other session survives", async () => {
    const first = await signedIn();
    const second = await signedIn();
    expect(first.sid).not.toBe(second.sid);
    await harness.openIdProvider.logoutTokens.send(first.sub, first.sid);
    expect(await graphStatus(first.browser)).toBe(401);
    expect(await graphStatus(second.browser)).toBe(200);
    const line = auditLines('backchannel_logout').find(
      (entry) => entry.session === sessionReference(first.sessionId),
    );
    expect(line).toMatchObject({ provider: 'graph', sub: 'alice', outcome: 'success' });
  });

  it("naming only sub ends every session of that user and no other user's", async () => {
    const carol = [await signedIn('carol'), await signedIn('carol')];
    const dave = await signedIn('dave');
    const token = await harness.openIdProvider.logoutTokens.sign({ claims: { sub: 'carol' } });
    const response = await postLogoutToken(form(token));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    for (const session of carol) expect(await graphStatus(session.browser)).toBe(401);
    expect(await graphStatus(dave.browser)).toBe(200);
  });

  it('revokes the ServiceNow refresh token of the session it ends', async () => {
    const session = await signedIn('erin');
    expect((await harness.loginServiceNow(session.browser)).status).toBe(302);
    const revocations = harness.serviceNow?.revocationRequests ?? [];
    const before = revocations.length;
    const token = await harness.openIdProvider.logoutTokens.sign({ claims: { sid: session.sid } });
    expect((await postLogoutToken(form(token))).status).toBe(200);
    await expect.poll(() => revocations.length - before).toBe(1);
    expect(revocations.at(-1)).toMatchObject({ matched: 'refresh_token' });
  });

  it('that matches no session is answered 200', async () => {
    const token = await harness.openIdProvider.logoutTokens.sign({
      claims: { sid: 'no-such-sid' },
    });
    expect((await postLogoutToken(form(token))).status).toBe(200);
  });

  it('that fails on the store answers 503, and its retry (the same jti) still ends the session', async () => {
    const victim = await signedIn('heidi');
    const indexKey = createStoreKeys('bff:').providerSessionSessions(
      harness.openIdProvider.issuer,
      victim.sid,
    );
    const indexed = await harness.redis.client.smembers(indexKey);
    // The index key holds another kind of value: Redis answers WRONGTYPE to the logout.
    await harness.redis.client.del(indexKey);
    await harness.redis.client.set(indexKey, 'not-a-set', 'PX', 60_000);
    const token = await harness.openIdProvider.logoutTokens.sign({ claims: { sid: victim.sid } });
    expect((await postLogoutToken(form(token))).status).toBe(503);
    expect(await graphStatus(victim.browser)).toBe(200);
    await harness.redis.client.del(indexKey);
    await harness.redis.client.sadd(indexKey, ...indexed);
    expect((await postLogoutToken(form(token))).status).toBe(200);
    expect(await graphStatus(victim.browser)).toBe(401);
  });

  it('has its jti remembered for as long as any token is accepted: ten minutes plus the tolerance', async () => {
    const token = await harness.openIdProvider.logoutTokens.sign({ claims: { sid: 'nobody' } });
    expect((await postLogoutToken(form(token))).status).toBe(200);
    const { iss, jti } = jose.decodeJwt(token);
    const claimKey = createStoreKeys('bff:').usedLogoutToken(iss ?? '', jti ?? '');
    const timeToLiveMs = await harness.redis.client.pttl(claimKey);
    expect(timeToLiveMs).toBeGreaterThan(650_000);
    expect(timeToLiveMs).toBeLessThanOrEqual(660_000);
  });

  it('replayed (the same jti) is refused with 400 and an audit line', async () => {
    const victim = await signedIn('frank');
    const token = await harness.openIdProvider.logoutTokens.sign({ claims: { sid: 'unrelated' } });
    expect((await postLogoutToken(form(token))).status).toBe(200);
    const failures = auditLines('backchannel_logout').filter((line) => line.outcome === 'failure');
    const replay = await postLogoutToken(form(token));
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ type: 'urn:bff:invalid-logout-token' });
    const after = auditLines('backchannel_logout').filter((line) => line.outcome === 'failure');
    expect(after.length).toBe(failures.length + 1);
    expect(await graphStatus(victim.browser)).toBe(200);
  });
});

/** Each row: a token that must be refused; the session it names must survive all of them. */
const hostileTokens: [string, (sid: string) => Promise<string>][] = [
  [
    'signed with another key under the provider’s kid',
    (sid) =>
      harness.openIdProvider.logoutTokens.sign({ claims: { sid }, signingKey: createSigningKey() }),
  ],
  ['unsigned (alg none)', (sid) => Promise.resolve(unsigned({ ...baseClaims(), sid }))],
  [
    'signed with HS256 and the client secret',
    (sid) =>
      new jose.SignJWT({ ...baseClaims(), sid })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(harness.openIdProvider.clientSecret)),
  ],
  ['from another issuer', (sid) => signed({ sid, iss: 'https://login.example.net/evil/v2.0' })],
  ['for another client (aud)', (sid) => signed({ sid, aud: 'another-client' })],
  ['expired', (sid) => signed({ sid, iat: seconds(-600), exp: seconds(-120) })],
  [
    'expired 90 s ago (past the 60 s tolerance)',
    (sid) => signed({ sid, iat: seconds(-300), exp: seconds(-90) }),
  ],
  ['issued 90 s in the future', (sid) => signed({ sid, iat: seconds(90), exp: seconds(200) })],
  ['issued 700 s ago', (sid) => signed({ sid, iat: seconds(-700), exp: seconds(60) })],
  [
    'issued more than ten minutes ago',
    (sid) => signed({ sid, iat: seconds(-3600), exp: seconds(60) }),
  ],
  ['issued in the future', (sid) => signed({ sid, iat: seconds(3600), exp: seconds(3700) })],
  ['without jti', (sid) => signed({ sid, jti: undefined })],
  ['without iat', (sid) => signed({ sid, iat: undefined })],
  ['without exp', (sid) => signed({ sid, exp: undefined })],
  ['without events', (sid) => signed({ sid, events: undefined })],
  ['with another event', (sid) => signed({ sid, events: { 'urn:example:other': {} } })],
  [
    'with an event that is not an object',
    (sid) => signed({ sid, events: { [backChannelLogoutEvent]: 'yes' } }),
  ],
  ['with a nonce (an ID token)', (sid) => signed({ sid, nonce: 'n-0S6_WzA2Mj' })],
  ['naming neither sid nor sub', () => signed({})],
  ['typed as an access token', (sid) => signed({ sid }, { header: { typ: 'at+jwt' } })],
  ['not a JWT', () => Promise.resolve('not-a-jwt')],
];

describe('a hostile logout token', () => {
  it.each(hostileTokens)('%s is refused with 400 and ends nothing', async (_name, make) => {
    const victim = await signedIn('grace');
    const response = await postLogoutToken(form(await make(victim.sid)));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'urn:bff:invalid-logout-token' });
    expect(await graphStatus(victim.browser)).toBe(200);
  });

  it('a request that is not one form-posted logout_token is refused with 400, an oversized one with 413', async () => {
    const token = await harness.openIdProvider.logoutTokens.sign({ claims: { sub: 'alice' } });
    expect(
      (await postLogoutToken(JSON.stringify({ logout_token: token }), 'application/json')).status,
    ).toBe(400);
    expect((await postLogoutToken(`${form(token)}&${form(token)}`)).status).toBe(400);
    expect((await postLogoutToken('logout_token=')).status).toBe(400);
    expect((await postLogoutToken('')).status).toBe(400);
    expect((await postLogoutToken(form('x'.repeat(64 * 1024)))).status).toBe(413);
  });
});

function seconds(offset: number): number {
  return Math.floor(Date.now() / 1000) + offset;
}

function baseClaims(): Record<string, unknown> {
  return {
    iss: harness.openIdProvider.issuer,
    aud: harness.openIdProvider.clientId,
    iat: seconds(0),
    exp: seconds(120),
    jti: crypto.randomUUID(),
    events: { [backChannelLogoutEvent]: {} },
  };
}

function signed(claims: Record<string, unknown>, options: Omit<LogoutTokenOptions, 'claims'> = {}) {
  return harness.openIdProvider.logoutTokens.sign({ ...options, claims });
}

function unsigned(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'logout+jwt' })}.${encode(claims)}.`;
}
