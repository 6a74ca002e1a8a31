// Open redirects end to end: every corpus return_to through a real login is refused 400 or ends in a Location on PUBLIC_URL's origin.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { sendRaw } from '../support/raw-http.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

// The repository's copy of ../shared/testdata/openredirects.txt: a clean clone has no ../shared.
const corpus = readFileSync(new URL('./openredirects.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '');

/** Runs `task` over `items`, `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>) {
  for (let start = 0; start < items.length; start += width) {
    await Promise.all(items.slice(start, start + width).map(task));
  }
}

/** GET /auth/login/graph with this return_to: 'refused' (400 invalid-request) or 'accepted' (302 to the provider). */
async function startLogin(returnTo: string): Promise<'refused' | 'accepted'> {
  const url = `${harness.url}/auth/login/graph?return_to=${encodeURIComponent(returnTo)}`;
  const response = await fetch(url, { redirect: 'manual' });
  if (response.status === 400) {
    expect(response.headers.get('content-type'), returnTo).toBe('application/problem+json');
    expect(await response.json(), returnTo).toMatchObject({ type: 'urn:bff:invalid-request' });
    return 'refused';
  }
  expect(response.status, returnTo).toBe(302);
  const location = new URL(response.headers.get('location') ?? '');
  expect(
    location.href.startsWith(harness.openIdProvider.issuer.replace(/\/v2\.0$/, '')),
    returnTo,
  ).toBe(true);
  return 'accepted';
}

/** A whole login with this return_to: the final Location resolves to PUBLIC_URL's origin and injects nothing. */
async function completeLogin(returnTo: string): Promise<string> {
  const browser = new TestBrowser();
  const response = await harness.login(browser, `?return_to=${encodeURIComponent(returnTo)}`);
  expect(response.status, returnTo).toBe(302);
  const location = response.headers.get('location') ?? '';
  expect(new URL(location).origin, returnTo).toBe(harness.url);
  expect(new URL(location, harness.url).origin, returnTo).toBe(harness.url);
  expect(new URL(location).pathname.startsWith('//'), returnTo).toBe(false);
  // eslint-disable-next-line no-control-regex -- a raw control character would split the header
  expect(location, returnTo).not.toMatch(/[\u0000-\u001f\u007f]/);
  expect(
    response.headers.getSetCookie().some((line) => line.startsWith('x=')),
    returnTo,
  ).toBe(false);
  return location;
}

describe('the open-redirect corpus through a real login', () => {
  it('every line is refused 400, or starts a login whose final Location is on PUBLIC_URL origin', async () => {
    expect(corpus.length).toBeGreaterThan(500);
    const accepted: string[] = [];
    await inBatches(corpus, 16, async (line) => {
      if ((await startLogin(line)) === 'accepted') accepted.push(line);
    });
    // Most of the corpus is refused at once; what passes is a path on the gateway's own origin.
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted.length).toBeLessThan(corpus.length / 4);
    await inBatches(accepted, 8, async (line) => void (await completeLogin(line)));
  });
});

describe('control characters and backslashes in return_to', () => {
  it.each([
    ['a CR LF and a Location header', '/\r\nLocation: https://evil.example/'],
    ['a bare LF and a Set-Cookie header', '/inbox\nSet-Cookie: x=1'],
    ['a tab hiding a network-path reference', '/\t/evil.example'],
    ['a leading tab', '\t//evil.example'],
    ['a backslash after the slash', '/\\evil.example'],
    ['two backslashes', '\\\\evil.example'],
    ['a NUL', '/inbox\u0000.evil.example'],
    ['a NEL (C1 line break)', '/inbox\u0085x'],
  ])('%s is refused 400', async (_name, returnTo) => {
    expect(await startLogin(returnTo)).toBe('refused');
  });

  it.each([
    [
      'an encoded CR LF (%0d%0a) stays encoded',
      '/inbox%0d%0aSet-Cookie:%20x=1',
      '/inbox%0d%0aSet-Cookie:%20x=1',
    ],
    ['a double-encoded CR LF stays encoded', '/inbox%250d%250aX:%201', '/inbox%250d%250aX:%201'],
    ['an encoded backslash stays encoded', '/%5cevil.example', '/%5cevil.example'],
    ['an encoded tab stays encoded', '/%09/evil.example', '/%09/evil.example'],
  ])('%s: the login completes on the gateway origin', async (_name, returnTo, path) => {
    expect(await startLogin(returnTo)).toBe('accepted');
    expect(await completeLogin(returnTo)).toBe(`${harness.url}${path}`);
  });

  it.each([
    ['a raw CR LF', '/auth/login/graph?return_to=/\r\nLocation:%20https://evil.example/'],
    ['a raw tab', '/auth/login/graph?return_to=/\t/evil.example'],
    ['a raw backslash', '/auth/login/graph?return_to=/\\evil.example'],
  ])('%s sent unencoded on the wire is answered 400 and starts no login', async (_name, target) => {
    const answer = await sendRaw(
      Number(new URL(harness.url).port),
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    );
    expect(answer.statuses).toEqual([400]);
    expect(answer.text.toLowerCase()).not.toContain('location:');
    expect(answer.text).not.toContain('bff-login-');
  });
});
