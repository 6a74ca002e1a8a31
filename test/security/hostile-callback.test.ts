// Hostile callbacks: code and error together, markup in the provider's error, absurd or repeated state and code: refused or reported, never exchanged, never reflected.
import { describe, expect, it } from 'vitest';
import {
  sessionCookieName,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { dumpStore } from '../support/store-dump.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

const host = '127.0.0.1';
type PopupMessage = { type: string; provider: string; ok: boolean; error?: string };

/** A login stopped before its callback; `tokenRequests` is the provider's count at that moment. */
async function pendingLogin(query = '') {
  const browser = new TestBrowser();
  const callback = await browser.followUntil(
    `${harness.url}/auth/login/graph${query}`,
    `${harness.url}/auth/callback/`,
  );
  return { browser, callback, tokenRequests: harness.openIdProvider.tokenRequests.length };
}

/** The callback URL with its parameters edited: `null` deletes one, an array repeats it. */
function edited(callback: URL, changes: Record<string, string | string[] | null>): URL {
  const url = new URL(callback);
  for (const [name, value] of Object.entries(changes)) {
    url.searchParams.delete(name);
    for (const one of value === null ? [] : [value].flat()) url.searchParams.append(name, one);
  }
  return url;
}

/** The message the popup page posts (its JSON escapes `<`, so it parses as is). */
function popupMessage(html: string): PopupMessage {
  const data = /var data = (\{.*\});/.exec(html)?.[1] ?? '{}';
  return (JSON.parse(data) as { message: PopupMessage }).message;
}

describe('a callback carrying both code and error', () => {
  it('is a reported failure and the code is never exchanged, then or later', async () => {
    const { browser, callback, tokenRequests } = await pendingLogin('?return_to=%2Finbox');
    const both = await browser.fetch(edited(callback, { error: 'access_denied' }));
    expect(both.status).toBe(302);
    const location = new URL(both.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${harness.url}/inbox`);
    expect(location.searchParams.get('bff_error')).toBe('access_denied');
    expect(browser.cookie(host, sessionCookieName)).toBeUndefined();
    // The state was spent on the failure: the same code without the error is refused too.
    const replay = await browser.fetch(callback);
    expect(replay.status).toBe(400);
    expect(harness.openIdProvider.tokenRequests).toHaveLength(tokenRequests);
    expect(browser.cookie(host, sessionCookieName)).toBeUndefined();
  });

  it('is reported to a popup as ok:false with the error, and nothing is exchanged', async () => {
    const { browser, callback, tokenRequests } = await pendingLogin('?mode=popup');
    const response = await browser.fetch(edited(callback, { error: 'access_denied' }));
    expect(response.status).toBe(200);
    expect(popupMessage(await response.text())).toEqual({
      type: 'bff:login',
      provider: 'graph',
      ok: false,
      error: 'access_denied',
    });
    expect(harness.openIdProvider.tokenRequests).toHaveLength(tokenRequests);
  });
});

describe("markup in the provider's error, in popup mode", () => {
  it.each([
    [
      'a script in error_description',
      'access_denied',
      '</script><script>alert(1)</script>',
      'access_denied',
    ],
    [
      'quotes and an event handler in error_description',
      'access_denied',
      `"'><img src=x onerror=alert(2)>`,
      'access_denied',
    ],
    [
      'a closing script tag in error',
      '"</script><script>alert(3)</script>',
      'x',
      'authorization_failed',
    ],
    [
      'a quote breaking out of the JSON string in error',
      'access_denied"});alert(4);//',
      'x',
      'authorization_failed',
    ],
    [
      'a U+2028 line separator in error',
      'access_denied\u2028alert(5)',
      'x',
      'authorization_failed',
    ],
  ])(
    '%s is never reflected; the page posts the sanitised code',
    async (_name, error, description, code) => {
      const { browser, callback, tokenRequests } = await pendingLogin('?mode=popup');
      const hostile = edited(callback, { code: null, error, error_description: description });
      const response = await browser.fetch(hostile);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      const nonce = /script-src 'nonce-([^']+)'/.exec(
        response.headers.get('content-security-policy') ?? '',
      )?.[1];
      const html = await response.text();
      // One script element, the gateway's own, under this answer's nonce; nothing of the provider's text.
      expect(html.match(/<script/gi)).toEqual(['<script']);
      expect(html.match(/<\/script/gi)).toEqual(['</script']);
      expect(html).toContain(`<script nonce="${nonce}">`);
      for (const reflection of ['alert', 'onerror', '<img', '\u2028'])
        expect(html).not.toContain(reflection);
      expect(popupMessage(html)).toEqual({
        type: 'bff:login',
        provider: 'graph',
        ok: false,
        error: code,
      });
      expect(harness.openIdProvider.tokenRequests).toHaveLength(tokenRequests);
      expect(browser.cookie(host, sessionCookieName)).toBeUndefined();
    },
  );
});

describe('a hostile state', () => {
  it.each([
    ['8 KiB long, of the alphabet a real state uses', 'A'.repeat(8 * 1024)],
    ['one character past the longest state issued', 'A'.repeat(129)],
    ['markup and quotes', '"><script>alert(1)</script>'],
    ['an encoded CRLF and a header', 'x\r\nSet-Cookie: bff-session=evil'],
    ['non-ASCII look-alikes', 'ＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡ'],
  ])('%s is 400 invalid-login-state, not echoed, and changes nothing', async (_name, state) => {
    const before = await dumpStore(harness.redis);
    const url = new URL(`${harness.url}/auth/callback/graph`);
    url.searchParams.set('state', state);
    url.searchParams.set('code', 'a-code');
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(JSON.parse(body)).toMatchObject({ type: 'urn:bff:invalid-login-state' });
    expect(body).not.toContain(state.slice(0, 20));
    expect(response.headers.getSetCookie().join('\n')).not.toContain('evil');
    expect(await dumpStore(harness.redis)).toEqual(before);
  });

  it('a forged state before the genuine one is refused 400, and the genuine callback still completes', async () => {
    const { browser, callback, tokenRequests } = await pendingLogin();
    const genuine = callback.searchParams.get('state') ?? '';
    const forged = 'B'.repeat(genuine.length);
    const response = await browser.fetch(edited(callback, { state: [forged, genuine] }));
    expect(response.status).toBe(400);
    expect(harness.openIdProvider.tokenRequests).toHaveLength(tokenRequests);
    expect((await browser.fetch(callback)).status).toBe(302);
    expect(browser.cookie(host, sessionCookieName)).toBeTruthy();
  });

  it.each([
    ['the genuine state, then another', 'state'],
    ['the code twice', 'code'],
  ])('%s is a reported invalid_response, never exchanged', async (_name, repeated) => {
    const { browser, callback, tokenRequests } = await pendingLogin();
    const value = callback.searchParams.get(repeated) ?? '';
    const response = await browser.fetch(edited(callback, { [repeated]: [value, `${value}x`] }));
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.origin).toBe(harness.url);
    expect(location.searchParams.get('bff_error')).toBe('invalid_response');
    expect(harness.openIdProvider.tokenRequests).toHaveLength(tokenRequests);
    expect(browser.cookie(host, sessionCookieName)).toBeUndefined();
  });
});
