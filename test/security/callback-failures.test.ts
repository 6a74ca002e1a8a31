// Callback failures (contract §3) against a scripted OpenID provider: each hostile answer gets the right bff_error and changes nothing.
import { describe, expect, it } from 'vitest';
import { sessionCookieName, type GatewayHarness } from '../support/gateway-harness.ts';
import {
  tokenEndpointFailures,
  type IdTokenVariant,
  type Script,
  type ScriptedAuthorizationServer,
  type ScriptedHttpAnswer,
} from '../support/scripted-authorization-server.ts';
import { useScriptedGatewayHarness } from '../support/scripted-gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

const providerTimeoutSeconds = 2;
const host = '127.0.0.1';

let stand: ScriptedAuthorizationServer;
let harness: GatewayHarness;
useScriptedGatewayHarness(
  { environment: () => ({ PROVIDER_TIMEOUT_S: String(providerTimeoutSeconds) }) },
  (started) => ({ stand, harness } = started),
);

interface Attempt {
  readonly response: Response;
  readonly popup: boolean;
  readonly state: string;
  readonly tokenRequestsMade: number;
  readonly elapsedMs: number;
}
type SessionStatus = { authenticated: boolean; user: { sub: string } | null };
type PopupMessage = { type: string; provider: string; ok: boolean; error?: string };

/** One login through the gateway with the provider answering as `script` says. */
async function attempt(browser: TestBrowser, script: Script, mode = 'redirect'): Promise<Attempt> {
  stand.script = script;
  const tokenRequestsBefore = stand.tokenRequests.length;
  const started = performance.now();
  const response = await harness.login(browser, `?return_to=%2Finbox%3Ffolder%3D1&mode=${mode}`);
  return {
    response,
    popup: mode === 'popup',
    state: stand.authorizationRequests.at(-1)?.state ?? '',
    tokenRequestsMade: stand.tokenRequests.length - tokenRequestsBefore,
    elapsedMs: performance.now() - started,
  };
}

async function sessionOf(browser: TestBrowser): Promise<SessionStatus> {
  return (await (await browser.fetch(`${harness.url}/auth/session`)).json()) as SessionStatus;
}

/** The message the popup page posts to its opener (its JSON escapes `<`, so it parses as is). */
function popupMessage(html: string): PopupMessage {
  const data = /var data = (\{.*\});/.exec(html)?.[1] ?? '{}';
  return (JSON.parse(data) as { message: PopupMessage }).message;
}

/**
 * A failure reported to the app (contract §3) that created or changed no session, expired the
 * login cookie and leaked nothing. Redirect mode: 302 into the app on the gateway origin with
 * `bff_error` and `bff_provider`; popup mode: the page posts ok:false. Resolves with what the
 * browser saw (Location and body), for reflection checks.
 */
async function expectReported(
  browser: TestBrowser,
  result: Attempt,
  code: string,
  previousSessionCookie?: string,
): Promise<string> {
  const { response, state } = result;
  const location = response.headers.get('location') ?? '';
  const body = await response.text();
  if (result.popup) {
    expect(response.status).toBe(200);
    expect(popupMessage(body)).toEqual({
      type: 'bff:login',
      provider: 'graph',
      ok: false,
      error: code,
    });
  } else {
    expect(response.status).toBe(302);
    expect(location.startsWith(`${harness.url}/`)).toBe(true);
    const url = new URL(location);
    expect(url.pathname).toBe('/inbox');
    expect(url.searchParams.get('folder')).toBe('1');
    expect(url.searchParams.get('bff_error')).toBe(code);
    expect(url.searchParams.get('bff_provider')).toBe('graph');
  }
  const setCookies = response.headers.getSetCookie();
  expect(setCookies.filter((line) => line.startsWith(`${sessionCookieName}=`))).toEqual([]);
  const loginCookie = harness.gateway.dependencies.loginCookie.name(state);
  expect(setCookies.find((line) => line.startsWith(`${loginCookie}=`))).toMatch(/Max-Age=0/i);
  expect(browser.cookie(host, loginCookie)).toBeUndefined();
  expect(browser.cookie(host, sessionCookieName)).toBe(previousSessionCookie);
  const session = await sessionOf(browser);
  expect(session.authenticated).toBe(previousSessionCookie !== undefined);
  if (previousSessionCookie !== undefined) expect(session.user?.sub).toBe(stand.user.sub);
  // Codes, ID tokens and the client secret stay out of every log line (contract §5) and every answer.
  const seen = `${location}\n${body}`;
  const logs = harness.logs.join('\n');
  for (const secret of [stand.clientSecret, ...stand.issuedSecrets]) {
    expect(logs.includes(secret)).toBe(false);
    expect(seen.includes(secret)).toBe(false);
  }
  return seen;
}

describe('the scripted provider answering well', () => {
  it('signs the user in: 302 to return_to, session cookie set, /auth/session shows the user', async () => {
    const browser = new TestBrowser();
    const { response } = await attempt(browser, {});
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${harness.url}/inbox?folder=1`);
    expect(browser.cookie(host, sessionCookieName)).toBeTruthy();
    const session = await sessionOf(browser);
    expect(session).toMatchObject({ authenticated: true, user: { sub: stand.user.sub } });
    // The code was redeemed with the PKCE verifier and the client's credentials: the stand-in checks both.
    expect(stand.tokenRequests.at(-1)).toEqual({
      grantType: 'authorization_code',
      authMethod: 'client_secret_post',
      clientAuthenticated: true,
      hadCodeVerifier: true,
      pkceMatched: true,
      refreshTokenState: null,
      claims: null,
    });
  });

  it('signs the user in from a popup: the page posts ok:true', async () => {
    const browser = new TestBrowser();
    const { response } = await attempt(browser, {}, 'popup');
    expect(response.status).toBe(200);
    const message = popupMessage(await response.text());
    expect(message).toEqual({ type: 'bff:login', provider: 'graph', ok: true });
    expect((await sessionOf(browser)).authenticated).toBe(true);
  });
});

describe('a hostile ID token', () => {
  it.each<[string, IdTokenVariant]>([
    ['an ID token signed by another key under the published kid', 'bad-signature'],
    ['an ID token whose kid is not in the JWKS', 'unknown-kid'],
    ['an unsigned ID token (alg none)', 'alg-none'],
    ['an ID token from another issuer', 'wrong-issuer'],
    ['an ID token for another audience', 'wrong-audience'],
    ["an ID token carrying another login's nonce", 'wrong-nonce'],
    ['an ID token without the nonce', 'no-nonce'],
    ['an ID token that expired an hour ago', 'expired'],
    ['an ID token issued, and valid from, an hour in the future', 'issued-in-future'],
    ['a token response without an ID token', 'missing-id-token'],
  ])('%s is refused as invalid_id_token', async (_sentence, idToken) => {
    const browser = new TestBrowser();
    await expectReported(browser, await attempt(browser, { idToken }), 'invalid_id_token');
  });

  it('is reported to a popup as ok:false with invalid_id_token', async () => {
    const browser = new TestBrowser();
    const result = await attempt(browser, { idToken: 'wrong-audience' }, 'popup');
    await expectReported(browser, result, 'invalid_id_token');
  });

  it('leaves the session the browser already had working and unchanged', async () => {
    const browser = new TestBrowser();
    await attempt(browser, {});
    const before = browser.cookie(host, sessionCookieName);
    expect(before).toBeTruthy();
    const result = await attempt(browser, { idToken: 'wrong-nonce' });
    await expectReported(browser, result, 'invalid_id_token', before);
  });
});

describe('a failing token endpoint', () => {
  it.each<[string, string, () => ScriptedHttpAnswer]>([
    ["Entra's invalid_grant (AADSTS70008)", 'exchange_failed', tokenEndpointFailures.invalidGrant],
    ['a 503 HTML page', 'provider_unavailable', tokenEndpointFailures.serviceUnavailableHtml],
    [
      'a plain-text 429 with Retry-After',
      'provider_unavailable',
      tokenEndpointFailures.tooManyRequestsText,
    ],
  ])('%s is reported as %s', async (_sentence, code, answer) => {
    const browser = new TestBrowser();
    const result = await attempt(browser, { tokenEndpoint: answer() });
    expect(result.tokenRequestsMade).toBe(1);
    await expectReported(browser, result, code);
  });

  it('invalid_client is reported as exchange_failed and logged at warn or error, without the secret', async () => {
    const browser = new TestBrowser();
    const logsFrom = harness.logs.length;
    const result = await attempt(browser, { tokenEndpoint: tokenEndpointFailures.invalidClient() });
    await expectReported(browser, result, 'exchange_failed');
    const lines = harness.logs
      .slice(logsFrom)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const loud = lines.filter((line) => line.level === 'warn' || line.level === 'error');
    expect(loud.some((line) => line.reason === 'exchange_failed')).toBe(true);
  });

  it('a token endpoint that never answers is reported as provider_unavailable within PROVIDER_TIMEOUT_S', async () => {
    const browser = new TestBrowser();
    const result = await attempt(browser, { tokenEndpoint: 'hang' });
    expect(result.tokenRequestsMade).toBe(1);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(providerTimeoutSeconds * 1000 - 100);
    expect(result.elapsedMs).toBeLessThan(providerTimeoutSeconds * 1000 + 1500);
    await expectReported(browser, result, 'provider_unavailable');
  });
});

describe('a hostile authorization response', () => {
  it('an iss naming another issuer (RFC 9207 mix-up) is refused as invalid_response before any token request', async () => {
    const browser = new TestBrowser();
    const iss = stand.issuer.replace(stand.tenantId, 'common');
    const result = await attempt(browser, { authorization: { iss } });
    expect(result.tokenRequestsMade).toBe(0);
    await expectReported(browser, result, 'invalid_response');
  });

  it('a response without iss, from an issuer that advertises RFC 9207, is refused before any token request', async () => {
    const browser = new TestBrowser();
    const result = await attempt(browser, { authorization: { iss: '' } });
    expect(result.tokenRequestsMade).toBe(0);
    await expectReported(browser, result, 'invalid_response');
  });

  it('a response without a code is refused as invalid_response before any token request', async () => {
    const browser = new TestBrowser();
    const result = await attempt(browser, { authorization: 'no-code' });
    expect(result.tokenRequestsMade).toBe(0);
    await expectReported(browser, result, 'invalid_response');
  });

  it("the provider's consent_required is passed on as bff_error, its description is not", async () => {
    const browser = new TestBrowser();
    const errorDescription = 'AADSTS65001: The user or administrator has not consented.';
    const result = await attempt(browser, {
      authorization: { error: 'consent_required', errorDescription },
    });
    expect(result.tokenRequestsMade).toBe(0);
    expect(await expectReported(browser, result, 'consent_required')).not.toContain('AADSTS65001');
  });

  it("the provider's access_denied (the user pressed Cancel) is posted to a popup", async () => {
    const browser = new TestBrowser();
    const result = await attempt(browser, { authorization: { error: 'access_denied' } }, 'popup');
    await expectReported(browser, result, 'access_denied');
  });

  // The tell-tale is what would show if the value came back escaped (`\u003c`) or re-encoded.
  it.each([
    ['markup', '<script>alert(1)</script>', 'alert(1)'],
    ['200 characters', 'a'.repeat(200), 'a'.repeat(65)],
    ['upper case and a CRLF', 'Access_Denied\r\nSet-Cookie: x=1', 'Set-Cookie'],
  ])(
    'an error value with %s is reported as authorization_failed, never reflected',
    async (_kind, error, telltale) => {
      for (const mode of ['redirect', 'popup']) {
        const browser = new TestBrowser();
        const result = await attempt(browser, { authorization: { error } }, mode);
        const seen = await expectReported(browser, result, 'authorization_failed');
        for (const reflection of [error, telltale, encodeURIComponent(telltale)])
          expect(seen).not.toContain(reflection);
      }
    },
  );
});
