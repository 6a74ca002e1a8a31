// The demo in a real browser (Debian's Chromium) on the client module: sign in, call both APIs, popup sign-in, a forced reauth and the sign-in again, 503, logout — and no token in the page.
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDemoSettings } from '../../demo/settings.ts';
import { startDemo, type RunningDemo } from '../../demo/start-demo.ts';
import { launchChromium } from '../support/chromium.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import {
  connectServiceNowInPopup,
  press,
  screenshots,
  signInInPopup,
  signInWithMicrosoft,
  snap,
} from './demo-steps.ts';

let redis: TestRedis;
let demo: RunningDemo;
let browser: Browser;
const gatewayLog: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  demo = await startDemo(
    { ...readDemoSettings({ PORT: '0', REDIS_URL: redis.url, LOG_LEVEL: 'info' }) },
    (line) => void gatewayLog.push(line),
  );
  browser = await launchChromium();
  mkdirSync(screenshots, { recursive: true });
  process.stdout.write(`browser test screenshots: ${screenshots}\n`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  await redis?.close();
});

describe('the demo in Chromium', () => {
  it('believes a bff:login message from its own origin only', async () => {
    const context = await browser.newContext();
    // The popup is sent to a page of another origin, which claims a successful sign-in.
    const hostile = 'http://127.0.0.1:9/hostile';
    await context.route('**/auth/login/servicenow?mode=popup', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<script>location.replace('${hostile}')</script>`,
      }),
    );
    await context.route(hostile, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<script>opener.postMessage({ type: 'bff:login', provider: 'servicenow', ok: true }, '*')</script>`,
      }),
    );
    const page = await context.newPage();
    await page.goto(demo.url);
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      page.click('#connect-servicenow'),
    ]);
    await popup.waitForURL(hostile);
    await popup.waitForLoadState('load');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await popup.close();
    // The forged success was ignored: closing the popup is a cancelled sign-in, nothing connected.
    await expect.poll(() => page.textContent('#output-title')).toBe('Sign-in cancelled');
    expect(await page.getAttribute('#servicenow-status', 'data-connected')).toBe('false');
    await context.close();
  });

  it('signs in, calls Graph and ServiceNow, shows the reauth state after a revocation and signs in again in a popup, and logs out, with no token in the page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // Everything the page received from its origin, to search for tokens afterwards.
    const received: string[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(demo.url))
        void response.text().then(
          (text) => received.push(text),
          () => undefined,
        );
    });

    await page.goto(demo.url);
    await expect.poll(() => page.textContent('#user')).toBe('Not signed in.');
    await snap(page, '1-signed-out');

    // Redirect sign-in through the stand-in Entra ID's page: any user name works.
    await signInWithMicrosoft(page, demo.url, 'bob', () => snap(page, '2-identity-provider'));
    expect(await page.textContent('#user')).toContain('Bob');

    const me = JSON.parse(await press(page, 'graph-me', /^GET \/graph\/v1\.0\/me → 200$/)) as {
      displayName: string;
    };
    expect(me.displayName).toBe('Bob');
    await press(page, 'graph-download', /^Download → 200$/);
    expect(await page.textContent('#output')).toContain('1048576 bytes');

    // ServiceNow in a popup window: it closes itself after posting bff:login to this origin.
    await connectServiceNowInPopup(page);
    const incidents = await press(page, 'servicenow-incidents', /→ 200$/);
    expect(JSON.parse(incidents)).toHaveProperty('result');
    await snap(page, '3-connected');

    // HttpOnly: the session cookie exists, and the page's script cannot read it.
    const cookies = await context.cookies(demo.url);
    expect(cookies.find((cookie) => cookie.name === 'bff-session')?.httpOnly).toBe(true);
    expect(await page.evaluate(() => document.cookie)).not.toContain('bff-session');

    // Revoked at the IdP: the next call is refused upstream, the refresh rejected → reauth payload.
    await press(page, 'revoke', /^Revoked at the IdP → 200$/);
    const reauth = JSON.parse(await press(page, 'graph-me', /→ 401$/)) as Record<string, unknown>;
    // The client module's ReauthRequiredError, with the reauth payload's members.
    expect(reauth).toEqual({
      error: 'ReauthRequiredError',
      provider: 'graph',
      reason: 'refresh_failed',
      providerError: 'invalid_grant',
      loginUrl: `${demo.url}auth/login/graph`,
    });
    // The page says why, offers the sign-in the payload names, and the session now says so too.
    expect(await page.textContent('#reauth-reason')).toContain('refused to renew');
    await expect.poll(() => page.getAttribute('#graph-status', 'data-connected')).toBe('false');
    await snap(page, '4-reauth');
    // Signed in again in a popup, the page retries the call that met the reauth.
    await signInInPopup(page, () => page.click('#reauth-sign-in'), 'bob');
    await expect.poll(() => page.textContent('#output-title')).toBe('GET /graph/v1.0/me → 200');
    await expect.poll(() => page.getAttribute('#graph-status', 'data-connected')).toBe('true');

    // No token anywhere the page can see: its DOM, its storage, its cookies, what it received.
    const visible = await page.evaluate(() =>
      [
        document.documentElement.outerHTML,
        document.cookie,
        JSON.stringify({ ...window.localStorage }),
        JSON.stringify({ ...window.sessionStorage }),
      ].join('\n'),
    );
    const everything = [visible, ...received, ...cookies.map((cookie) => cookie.value)].join('\n');
    expect(demo.issuedSecrets().length).toBeGreaterThanOrEqual(4);
    for (const secret of demo.issuedSecrets()) expect(everything).not.toContain(secret);

    // Logout: the gateway ends the session, the IdP's end-session page sends the browser back.
    const endSession = page.waitForRequest((request) =>
      request.url().includes('/oauth2/v2.0/logout?'),
    );
    await page.click('#logout');
    expect(new URL((await endSession).url()).searchParams.get('post_logout_redirect_uri')).toBe(
      demo.url,
    );
    await page.waitForURL(demo.url);
    await expect.poll(() => page.textContent('#user')).toBe('Not signed in.');
    expect(await page.getAttribute('#graph-status', 'data-connected')).toBe('false');
    const afterLogout: unknown = await page.evaluate(() =>
      fetch('/graph/v1.0/me', { headers: { 'X-CSRF': '1' } }).then(
        (response) => response.json() as Promise<unknown>,
      ),
    );
    expect(afterLogout).toMatchObject({ reason: 'no_session' });
    await snap(page, '5-logged-out');
    for (const secret of demo.issuedSecrets()) expect(gatewayLog.join('\n')).not.toContain(secret);
    await context.close();
  }, 60_000);

  it('with "sign in again automatically" ticked, a revoked grant opens the sign-in popup by itself and the call is retried once', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(demo.url);
    await signInWithMicrosoft(page, demo.url, 'dave');
    await press(page, 'revoke', /^Revoked at the IdP → 200$/);
    await page.check('#auto-sign-in');
    // No reauth state in between: the module signs in in the popup, then resends the call.
    await signInInPopup(page, () => page.click('#graph-me'), 'dave');
    await expect.poll(() => page.textContent('#output-title')).toBe('GET /graph/v1.0/me → 200');
    expect(JSON.parse((await page.textContent('#output')) ?? '')).toMatchObject({
      displayName: 'Dave',
    });
    await context.close();
  }, 30_000);

  it('shows the gateway\'s 503 as "try again later" with its Retry-After, and the retry button sends the call again', async () => {
    const context = await browser.newContext();
    // The demo cannot take its IdP down: the gateway's answer to that case, as contract §4 writes it.
    let unavailable = true;
    await context.route('**/graph/v1.0/me', (route) =>
      unavailable
        ? route.fulfill({
            status: 503,
            headers: { 'content-type': 'application/problem+json', 'retry-after': '30' },
            body: JSON.stringify({ type: 'urn:bff:provider-unavailable', status: 503 }),
          })
        : route.continue(),
    );
    const page = await context.newPage();
    await page.goto(demo.url);
    const answer = await press(page, 'graph-me', /^GET \/graph\/v1\.0\/me → 503 try again later$/);
    expect(JSON.parse(answer)).toEqual({
      error: 'ProviderUnavailableError',
      type: 'urn:bff:provider-unavailable',
      retryAfter: 30,
    });
    expect(await page.textContent('#action-link')).toContain('Try again in 30 s');
    unavailable = false;
    // The gateway answers again: this browser has no session, so the retried call meets the reauth.
    await page.click('#retry');
    await expect.poll(() => page.textContent('#output-title')).toBe('GET /graph/v1.0/me → 401');
    expect(await page.textContent('#reauth-reason')).toContain('there is no session');
    await context.close();
  });
});
