// examples/spa as the demo's app (DEMO_APP_DIR) in Chromium: sign in from its button, Graph data, a revoked grant, sign in again, the retried call.
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDemoSettings } from '../../demo/settings.ts';
import { startDemo, type RunningDemo } from '../../demo/start-demo.ts';
import { launchChromium } from '../support/chromium.ts';
import { screenshots, signInInPopup, snap } from './demo-steps.ts';

let demo: RunningDemo;
let browser: Browser;

beforeAll(async () => {
  // As the README runs it, from the repository root (vitest's working directory too):
  // DEMO_APP_DIR=examples/spa npm run demo.
  demo = await startDemo(
    readDemoSettings({ PORT: '0', DEMO_APP_DIR: 'examples/spa' }),
    () => undefined,
  );
  browser = await launchChromium();
  mkdirSync(screenshots, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

/** The demo app server's "revoke at the IdP" endpoint: ends every grant the demo IdP issued. */
async function revokeAtTheIdentityProvider(): Promise<void> {
  const response = await fetch(`${demo.url}demo/revoke`, {
    method: 'POST',
    headers: { 'X-Demo': '1' },
  });
  expect(response.status).toBe(200);
  await response.body?.cancel();
}

describe('examples/spa against the demo', () => {
  it('is the page the demo serves, and DEMO_APP_DIR naming no app folder is refused at start-up', async () => {
    const page = await fetch(demo.url);
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    expect(() => readDemoSettings({ DEMO_APP_DIR: 'examples/nowhere' })).toThrow(
      /DEMO_APP_DIR must name a folder/,
    );
    expect(() =>
      readDemoSettings({ DEMO_APP_DIR: new URL('.', import.meta.url).pathname }),
    ).toThrow(/DEMO_APP_DIR must hold an index\.html/);
  });

  it('signs in from its button, shows Graph data, asks to sign in again after a revocation, and its retried call shows data', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(demo.url);
    // No session: the first Graph call met the reauth, so the example offers its sign-in button.
    await expect.poll(() => page.textContent('#status')).toBe('Sign in to see your profile.');
    await signInInPopup(page, () => page.click('#sign-in'), 'frank');
    await expect.poll(() => page.textContent('#status')).toBe('Hello, Frank.');
    expect(JSON.parse((await page.textContent('#profile')) ?? '')).toMatchObject({
      displayName: 'Frank',
    });
    expect(await page.isHidden('#sign-in')).toBe(true);
    await snap(page, 'example-spa-1-signed-in');

    await revokeAtTheIdentityProvider();
    await page.click('#reload');
    await expect
      .poll(() => page.textContent('#status'))
      .toBe('Please sign in again (refresh_failed).');
    expect(await page.textContent('#profile')).toBe('');
    await snap(page, 'example-spa-2-sign-in-again');

    await signInInPopup(page, () => page.click('#sign-in'), 'frank');
    await expect.poll(() => page.textContent('#status')).toBe('Hello, Frank.');
    await context.close();
  }, 30_000);

  it("shows the gateway's 503 as unavailable, never as a sign-in", async () => {
    const context = await browser.newContext();
    // The demo cannot take its IdP down: the gateway's answer to that case, as contract §4 writes it.
    await context.route('**/graph/v1.0/me', (route) =>
      route.fulfill({
        status: 503,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '20' },
        body: JSON.stringify({ type: 'urn:bff:provider-unavailable', status: 503 }),
      }),
    );
    const page = await context.newPage();
    await page.goto(demo.url);
    await expect
      .poll(() => page.textContent('#status'))
      .toBe('Microsoft is unavailable right now. Try again in 20 s.');
    expect(await page.isHidden('#sign-in')).toBe(true);
    await context.close();
  });
});
