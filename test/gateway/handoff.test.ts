// Handoff sign-in end to end (contract §6): the app's context and the sign-in window's are two cookie jars, joined by a one-time code.
import { createHash } from 'node:crypto';
import { unsealData } from 'iron-session';
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
  handoffCodeOf,
  handoffCookieName,
  host,
  redeem,
  sessionOf,
  signInWindow,
  startHandoff,
} from '../support/handoff-steps.ts';
import { auditLinesOf } from '../support/log-lines.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started), { serviceNow: true });

const csrf = { 'x-csrf': '1' };
/** The pending-login cookie's name for a state (over http, without the `__Host-` prefix). */
const loginCookieNameOf = (state: string): string =>
  `bff-login-${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;

describe('a handoff sign-in across two cookie jars', () => {
  it('starts with a sealed Strict handoff cookie and a login_url in handoff mode', async () => {
    const app = new TestBrowser();
    const { handoffId, loginUrl } = await startHandoff(harness, app, {
      provider: 'graph',
      return_to: '/taskpane?host=office',
    });
    expect(handoffId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(loginUrl).toBe(
      `/auth/login/graph?mode=handoff&handoff_id=${handoffId}&return_to=%2Ftaskpane%3Fhost%3Doffice`,
    );
    const setCookie = app.cookieAttributes(host, handoffCookieName) ?? '';
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).toMatch(/Max-Age=600/);
    expect(setCookie).not.toContain(handoffId);
    // Stateless start: nothing in the store before anyone has signed in.
    expect(await harness.redis.client.keys('*handoff*')).toEqual([]);
  });

  it('delivers the code in the fragment of return_to, leaves the window without a session, and the app redeems it', async () => {
    const app = new TestBrowser();
    const window = new TestBrowser();
    const { loginUrl } = await startHandoff(harness, app, {
      provider: 'graph',
      return_to: '/taskpane?host=office',
    });
    const callback = await signInWindow(harness, window, loginUrl);
    expect(callback.status).toBe(302);
    const location = new URL(callback.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}${location.search}`).toBe(
      `${harness.url}/taskpane?host=office`,
    );
    const code = handoffCodeOf(callback);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(window.cookie(host, sessionCookieName)).toBeUndefined();
    expect((await sessionOf(harness, window)).authenticated).toBe(false);
    expect((await sessionOf(harness, app)).authenticated).toBe(false);

    const redeemed = await redeem(harness, app, code ?? '');
    expect(redeemed.status).toBe(200);
    expect(await redeemed.json()).toEqual({ provider: 'graph', ok: true });
    expect(app.cookie(host, sessionCookieName)).toBeDefined();
    expect(app.cookie(host, handoffCookieName)).toBeUndefined();
    const session = await sessionOf(harness, app);
    expect(session.authenticated).toBe(true);
    expect(session.user?.sub).toBe('alice');
    expect(session.providers.graph?.connected).toBe(true);

    harness.graph.reset();
    const me = await app.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(me.status).toBe(200);
    const stored = await harness.gateway.dependencies.sessions.loadSnapshot(await sessionIdOf(app));
    const accessToken = stored?.providers.get('graph')?.accessToken ?? 'none';
    expect(harness.graph.requests.at(-1)?.headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(auditLinesOf(harness.logs, 'login').at(-1)).toMatchObject({
      provider: 'graph',
      outcome: 'success',
      via: 'handoff',
      sub: 'alice',
    });
    // Still nothing for the window: the tokens went to the app's context only.
    expect((await sessionOf(harness, window)).authenticated).toBe(false);
  });

  it("joins the app context's existing session: both providers kept, a new session id issued, the old one dead", async () => {
    const app = new TestBrowser();
    expect((await harness.loginServiceNow(app)).status).toBe(302);
    const before = await sessionIdOf(app);
    const oldCookie = app.cookie(host, sessionCookieName) ?? '';
    const { code } = await handoffCode(harness, app, new TestBrowser());
    expect((await redeem(harness, app, code)).status).toBe(200);
    expect(await sessionIdOf(app)).not.toBe(before);
    const session = await sessionOf(harness, app);
    expect(session.providers.servicenow?.connected).toBe(true);
    expect(session.providers.graph?.connected).toBe(true);
    expect(session.user?.sub).toBe('alice');
    const stale = new TestBrowser();
    stale.setCookie(host, sessionCookieName, oldCookie);
    expect((await sessionOf(harness, stale)).authenticated).toBe(false);
  });

  it('signs in to servicenow by handoff too, and its API answers through the app context', async () => {
    const app = new TestBrowser();
    const { code } = await handoffCode(harness, app, new TestBrowser(), {
      provider: 'servicenow',
    });
    const redeemed = await redeem(harness, app, code);
    expect(await redeemed.json()).toEqual({ provider: 'servicenow', ok: true });
    const session = await sessionOf(harness, app);
    expect(session.providers.servicenow?.connected).toBe(true);
    expect(session.providers.graph?.connected).toBe(false);
    const incidents = await app.fetch(`${harness.url}/servicenow/api/now/table/incident`, {
      headers: csrf,
    });
    expect(incidents.status).toBe(200);
    expect(harness.serviceNow?.apiRequests.at(-1)?.bearer).toBe('valid');
  });

  it('reports a refusal at the IdP to the window like redirect mode: bff_error, no code, no session anywhere', async () => {
    const app = new TestBrowser();
    const window = new TestBrowser();
    const { loginUrl } = await startHandoff(harness, app, {
      provider: 'graph',
      return_to: '/pane',
    });
    const callback = await signInWindow(harness, window, `${loginUrl}&login_hint=cancel`);
    expect(callback.status).toBe(302);
    const location = new URL(callback.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${harness.url}/pane`);
    expect(location.searchParams.get('bff_error')).toBe('access_denied');
    expect(location.searchParams.get('bff_provider')).toBe('graph');
    expect(location.hash).toBe('');
    expect(window.cookie(host, sessionCookieName)).toBeUndefined();
    expect(await harness.redis.client.keys('*handoff*')).toEqual([]);
    expect((await sessionOf(harness, app)).authenticated).toBe(false);
  });

  it('refuses a code from a sign-in to another provider than the one the handoff named', async () => {
    const app = new TestBrowser();
    const { loginUrl } = await startHandoff(harness, app, { provider: 'servicenow' });
    const graphLogin = loginUrl.replace('/auth/login/servicenow?', '/auth/login/graph?');
    const code = handoffCodeOf(await signInWindow(harness, new TestBrowser(), graphLogin));
    const answer = await redeem(harness, app, code ?? '');
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { type: string }).type).toBe('urn:bff:invalid-handoff');
    expect((await sessionOf(harness, app)).authenticated).toBe(false);
  });

  it("neither joins nor replaces the sign-in window's own session when the window has one", async () => {
    const app = new TestBrowser();
    const window = new TestBrowser();
    expect((await harness.loginServiceNow(window)).status).toBe(302);
    const windowSession = await sessionIdOf(window);
    const { handoffId, loginUrl } = await startHandoff(harness, app);
    const callback = await window.followUntil(
      `${harness.url}${loginUrl}`,
      `${harness.url}/auth/callback/`,
    );
    // The pending login names the app's handoff and not the window's session (nothing to join).
    const pending = await unsealData<{ joinSessionId?: string; handoffId?: string }>(
      window.cookie(host, loginCookieNameOf(callback.searchParams.get('state') ?? '')) ?? '',
      { password: sessionSecret },
    );
    expect(pending).toMatchObject({ joinSessionId: '', handoffId });
    const code = handoffCodeOf(await window.fetch(callback)) ?? '';
    expect(await sessionIdOf(window)).toBe(windowSession);
    expect((await sessionOf(harness, window)).providers.graph?.connected).toBe(false);
    expect((await redeem(harness, app, code)).status).toBe(200);
    const appSession = await sessionOf(harness, app);
    expect(appSession.providers.graph?.connected).toBe(true);
    expect(appSession.providers.servicenow?.connected).toBe(false);
  });
});
