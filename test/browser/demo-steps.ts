// What a user does on the demo page, as steps the browser tests share: sign in at the stand-in IdP, press a button, connect in a popup.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

export const screenshots = join(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

export async function snap(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

/** Presses a button and waits for the answer's title; resolves with the answer's text. */
export async function press(page: Page, id: string, expectedTitle: RegExp): Promise<string> {
  await page.click(`#${id}`);
  await expect.poll(() => page.textContent('#output-title')).toMatch(expectedTitle);
  return (await page.textContent('#output')) ?? '';
}

/** Redirect sign-in through the stand-in Entra ID's page (any user name works), back to `appUrl`. */
export async function signInWithMicrosoft(
  page: Page,
  appUrl: string,
  userName: string,
  beforeSubmit: () => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  await page.click('#sign-in-graph');
  await page.waitForSelector('input[name=name]');
  await page.fill('input[name=name]', userName);
  await beforeSubmit();
  await page.click('button[value=sign-in]');
  await page.waitForURL(appUrl);
  await expect.poll(() => page.getAttribute('#graph-status', 'data-connected')).toBe('true');
}

/** ServiceNow in a popup window: it closes itself after posting `bff:login` to the app's origin. */
export async function connectServiceNowInPopup(page: Page): Promise<void> {
  const [popup] = await Promise.all([
    page.waitForEvent('popup'),
    page.click('#connect-servicenow'),
  ]);
  await expect.poll(() => page.getAttribute('#servicenow-status', 'data-connected')).toBe('true');
  // Polled, not awaited as an event: a fast popup may have closed before a listener was attached.
  await expect.poll(() => popup.isClosed()).toBe(true);
}

/** A sign-in popup that `trigger` opens: the stand-in IdP's page in the popup, which closes itself at the end. */
export async function signInInPopup(
  page: Page,
  trigger: () => Promise<unknown>,
  userName: string,
): Promise<void> {
  const [popup] = await Promise.all([page.waitForEvent('popup'), trigger()]);
  await popup.waitForSelector('input[name=name]');
  await popup.fill('input[name=name]', userName);
  await popup.click('button[value=sign-in]');
  await expect.poll(() => popup.isClosed()).toBe(true);
}
