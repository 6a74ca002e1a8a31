// The demo's Office-dialog host page in Chromium: the task pane in one browser context, the sign-in dialog in another (its own cookie jar), joined by the handoff code.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDemoSettings } from '../../demo/settings.ts';
import { startDemo, type RunningDemo } from '../../demo/start-demo.ts';
import { launchChromium } from '../support/chromium.ts';
import { screenshots, snap } from './demo-steps.ts';

/** PUBLIC_URL is http here: the cookies have no `__Host-` prefix. */
const sessionCookieName = 'bff-session';

let demo: RunningDemo;
let browser: Browser;
const gatewayLog: string[] = [];

beforeAll(async () => {
  demo = await startDemo(
    readDemoSettings({ PORT: '0', LOG_LEVEL: 'info' }),
    (line) => void gatewayLog.push(line),
  );
  browser = await launchChromium();
  mkdirSync(screenshots, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

async function cookieNames(context: BrowserContext): Promise<string[]> {
  return (await context.cookies(demo.url)).map((cookie) => cookie.name);
}

/** Opens the task pane page in `context`, as an add-in host would load it. */
async function openTaskPane(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${demo.url}office-host.html`);
  await expect.poll(() => page.textContent('#user')).toBe('Not signed in.');
  return page;
}

async function redeem(page: Page, code: string, expectedTitle: RegExp | string): Promise<void> {
  await page.fill('#handoff-code', code);
  await page.click('#redeem');
  await expect.poll(() => page.textContent('#output-title')).toMatch(expectedTitle);
}

describe("the demo's Office-dialog host page", () => {
  it('signs the task pane in through a dialog with its own cookies, by a code that only the task pane that started the handoff can redeem, once', async () => {
    const taskPaneContext = await browser.newContext();
    const dialogContext = await browser.newContext();
    const strangerContext = await browser.newContext();

    // Context A, the task pane: starts the handoff and shows the URL its dialog would open.
    const taskPane = await openTaskPane(taskPaneContext);
    await taskPane.click('#start-handoff');
    await expect.poll(() => taskPane.getAttribute('#login-url', 'href')).toMatch(/mode=handoff/);
    const loginUrl = (await taskPane.getAttribute('#login-url', 'href')) ?? '';
    expect(new URL(loginUrl).origin).toBe(new URL(demo.url).origin);
    await snap(taskPane, 'office-1-task-pane-started');

    // Context B, the dialog: signs in at the stand-in IdP and lands on the completion page.
    const dialog = await dialogContext.newPage();
    await dialog.goto(loginUrl);
    await dialog.waitForSelector('input[name=name]');
    await dialog.fill('input[name=name]', 'erin');
    await dialog.click('button[value=sign-in]');
    await dialog.waitForURL(/\/handoff-complete\.html/);
    await expect.poll(() => dialog.textContent('#handoff-code')).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    const code = (await dialog.textContent('#handoff-code')) ?? '';
    // Cleared from the address bar (and so from history): only the page holds it now.
    expect(dialog.url()).toBe(`${demo.url}handoff-complete.html`);
    await snap(dialog, 'office-2-dialog-shows-code');
    // The dialog's jar holds no session: a cookie set there would never reach the task pane.
    expect(await cookieNames(dialogContext)).not.toContain(sessionCookieName);

    // Context C never started a handoff: the code alone is refused there (and is not used up).
    const stranger = await openTaskPane(strangerContext);
    await redeem(stranger, code, 'Code refused');
    expect(await cookieNames(strangerContext)).not.toContain(sessionCookieName);

    // Back in A: the code joins the task pane's session; the user and a Graph answer show.
    expect(await cookieNames(taskPaneContext)).not.toContain(sessionCookieName);
    await redeem(taskPane, code, 'Signed in; GET /graph/v1.0/me → 200');
    expect(JSON.parse((await taskPane.textContent('#output')) ?? '')).toMatchObject({
      displayName: 'Erin',
    });
    expect(await taskPane.textContent('#user')).toContain('Erin');
    expect(await cookieNames(taskPaneContext)).toContain(sessionCookieName);
    await snap(taskPane, 'office-3-task-pane-signed-in');

    // The same code a second time, even in A: refused, and the page says so.
    await redeem(taskPane, code, 'Code refused');
    expect(await taskPane.textContent('#output')).toContain('refused the handoff code');

    // No log line holds the code.
    expect(gatewayLog.join('\n')).not.toContain(code);
    for (const context of [taskPaneContext, dialogContext, strangerContext]) await context.close();
  }, 30_000);

  it('the completion page reports a failed sign-in instead of a code', async () => {
    const context = await browser.newContext();
    const taskPane = await openTaskPane(context);
    await taskPane.click('#start-handoff');
    await expect.poll(() => taskPane.getAttribute('#login-url', 'href')).toMatch(/mode=handoff/);
    // The user presses Cancel at the IdP: the dialog comes back with bff_error, and no code.
    const dialog = await (await browser.newContext()).newPage();
    await dialog.goto((await taskPane.getAttribute('#login-url', 'href')) ?? '');
    await dialog.click('button[value=cancel]');
    await dialog.waitForURL(/\/handoff-complete\.html/);
    await expect
      .poll(() => dialog.textContent('#handoff-status'))
      .toBe('Sign-in did not complete (access_denied).');
    expect(await dialog.isHidden('#handoff-manual')).toBe(true);
    await dialog.context().close();
    await context.close();
  });
});
