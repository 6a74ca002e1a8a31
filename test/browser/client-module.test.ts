// The client module in Chromium, imported from /auth/client.js by a page on the gateway's origin: popup sign-in, a call, reauth, sign-in again, cancel.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDemoSettings } from '../../demo/settings.ts';
import { startDemo, type RunningDemo } from '../../demo/start-demo.ts';
import { launchChromium } from '../support/chromium.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';

/**
 * An app page as an SPA developer writes it: it imports the gateway's module and calls it from
 * click handlers (a popup needs the user's gesture). Each outcome lands in `window.outcomes`.
 */
const appPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>client module test</title></head><body>
<button id="login">Sign in</button><button id="me-with-popup">Me (sign in again if needed)</button>
<script type="module">
import { createClient } from '/auth/client.js';
const client = createClient();
const popupClient = createClient({ onReauth: 'popup' });
window.outcomes = {};
const describe = (error) => ({ error: error.name, message: error.message, provider: error.provider,
  reason: error.reason, loginUrl: error.loginUrl, providerError: error.providerError });
window.record = (name, promise) => promise.then(
  (value) => { window.outcomes[name] = { value }; },
  (error) => { window.outcomes[name] = describe(error); });
window.me = (which) => (which === 'popup' ? popupClient : client).graph('/v1.0/me')
  .then(async (response) => ({ status: response.status, body: await response.json() }));
document.getElementById('login').onclick = () =>
  window.record('login-' + Date.now(), client.login('graph', { mode: 'popup' }));
document.getElementById('me-with-popup').onclick = () => window.record('me-with-popup', window.me('popup'));
window.ready = true;
</script></body></html>`;

let redis: TestRedis;
let demo: RunningDemo;
let browser: Browser;

beforeAll(async () => {
  redis = await startRedis();
  demo = await startDemo(
    readDemoSettings({ PORT: '0', REDIS_URL: redis.url, LOG_LEVEL: 'warn' }),
    () => undefined,
  );
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  await redis?.close();
});

/** A fresh browser profile on the app page (served on the gateway's origin). */
async function openAppPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  await context.route(`${demo.url}client-test`, (route) =>
    route.fulfill({ contentType: 'text/html; charset=utf-8', body: appPage }),
  );
  const page = await context.newPage();
  await page.goto(`${demo.url}client-test`);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  return { context, page };
}

/** Clicks `button`, signs in as `userName` on the stand-in Entra ID's page in the popup it opens. */
async function signInInPopup(page: Page, button: string, userName: string): Promise<void> {
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click(button)]);
  await popup.waitForSelector('input[name=name]');
  await popup.fill('input[name=name]', userName);
  await popup.click('button[value=sign-in]');
  await expect.poll(() => popup.isClosed()).toBe(true);
}

function outcomes(page: Page): Promise<Record<string, Record<string, unknown>>> {
  return page.evaluate(
    () => (window as unknown as { outcomes: Record<string, Record<string, unknown>> }).outcomes,
  );
}

describe('the client module in Chromium', () => {
  it('signs in in a popup, calls Graph, meets a ReauthRequiredError after a revocation, and with onReauth: popup signs in again and the retried call succeeds', async () => {
    const { context, page } = await openAppPage();
    await signInInPopup(page, '#login', 'carol');
    await expect
      .poll(async () => Object.values(await outcomes(page)))
      .toEqual([{ value: { provider: 'graph', mode: 'popup' } }]);
    const me = await page.evaluate(() =>
      (window as unknown as { me: () => Promise<unknown> }).me(),
    );
    expect(me).toMatchObject({ status: 200, body: { displayName: 'Carol' } });

    // Revoked at the IdP: the access token is refused, the refresh rejected → reauth.
    const revoked = await page.evaluate(() =>
      fetch('/demo/revoke', { method: 'POST', headers: { 'X-Demo': '1' } }).then((r) => r.status),
    );
    expect(revoked).toBe(200);
    const reauth = await page.evaluate(() =>
      (window as unknown as { me: () => Promise<unknown> }).me().then(
        () => null,
        (error: Error & Record<string, unknown>) => ({ ...error, name: error.name }),
      ),
    );
    expect(reauth).toEqual({
      name: 'ReauthRequiredError',
      provider: 'graph',
      reason: 'refresh_failed',
      providerError: 'invalid_grant',
      loginUrl: `${demo.url}auth/login/graph`,
    });

    // The policy: the call meets reauth, a popup signs in again, the call is sent once more.
    await signInInPopup(page, '#me-with-popup', 'carol');
    await expect
      .poll(async () => (await outcomes(page))['me-with-popup'])
      .toMatchObject({ value: { status: 200, body: { displayName: 'Carol' } } });
    await context.close();
  }, 60_000);

  it('rejects login with LoginCancelledError when the user closes the popup', async () => {
    const { context, page } = await openAppPage();
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#login')]);
    await popup.waitForSelector('input[name=name]');
    await popup.close();
    const closedAt = Date.now();
    await expect
      .poll(async () => Object.values(await outcomes(page)).map((outcome) => outcome.error))
      .toEqual(['LoginCancelledError']);
    expect(Date.now() - closedAt).toBeLessThan(2_000);
    await context.close();
  }, 30_000);
});
