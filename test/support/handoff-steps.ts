// The three steps of a handoff sign-in (contract §6) as a test drives them: two cookie jars, the app's and the sign-in window's.
import type { GatewayHarness } from './gateway-harness.ts';
import type { TestBrowser } from './test-browser.ts';

/** The handoff cookie's name when PUBLIC_URL is http, as in these tests. */
export const handoffCookieName = 'bff-handoff';
export const host = '127.0.0.1';

/** POSTs JSON with `X-CSRF: 1` (unless `headers` replaces it) from `browser`. */
export function postJson(
  harness: GatewayHarness,
  browser: TestBrowser,
  path: string,
  body: unknown,
  headers: Record<string, string> = { 'x-csrf': '1' },
): Promise<Response> {
  return browser.fetch(`${harness.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Step 1, in the app's context: `POST /auth/handoff`. */
export async function startHandoff(
  harness: GatewayHarness,
  app: TestBrowser,
  body: Record<string, unknown> = { provider: 'graph' },
): Promise<{ handoffId: string; loginUrl: string }> {
  const response = await postJson(harness, app, '/auth/handoff', body);
  if (response.status !== 200)
    throw new Error(`POST /auth/handoff answered ${response.status}: ${await response.text()}`);
  const answer = (await response.json()) as { handoff_id: string; login_url: string };
  return { handoffId: answer.handoff_id, loginUrl: answer.login_url };
}

/** Step 2, in the sign-in window: login_url through the IdP to the callback; resolves with the callback's answer. */
export async function signInWindow(
  harness: GatewayHarness,
  window: TestBrowser,
  loginUrl: string,
): Promise<Response> {
  const callback = await window.followUntil(
    `${harness.url}${loginUrl}`,
    `${harness.url}/auth/callback/`,
  );
  return window.fetch(callback);
}

/** The code in the fragment of the callback's Location (`#bff_handoff_code=…`), or null. */
export function handoffCodeOf(callbackAnswer: Response): string | null {
  const location = new URL(callbackAnswer.headers.get('location') ?? 'http://invalid/');
  return new URLSearchParams(location.hash.slice(1)).get('bff_handoff_code');
}

/** Steps 1 and 2: a handoff started by `app`, signed in by `window`; the code the window received. */
export async function handoffCode(
  harness: GatewayHarness,
  app: TestBrowser,
  window: TestBrowser,
  body: Record<string, unknown> = { provider: 'graph' },
): Promise<{ code: string; handoffId: string }> {
  const { handoffId, loginUrl } = await startHandoff(harness, app, body);
  const code = handoffCodeOf(await signInWindow(harness, window, loginUrl));
  if (code === null) throw new Error('the sign-in window received no handoff code');
  return { code, handoffId };
}

/** Step 3, in the app's context: `POST /auth/handoff/redeem`. */
export function redeem(harness: GatewayHarness, app: TestBrowser, code: string): Promise<Response> {
  return postJson(harness, app, '/auth/handoff/redeem', { code });
}

export interface SessionStatus {
  authenticated: boolean;
  user: { sub: string } | null;
  providers: Record<string, { connected: boolean }>;
}

export async function sessionOf(
  harness: GatewayHarness,
  browser: TestBrowser,
): Promise<SessionStatus> {
  return (await (await browser.fetch(`${harness.url}/auth/session`)).json()) as SessionStatus;
}
