// @vitest-environment happy-dom
// login() in a popup: blocked, closed by the user, forged messages, failure — it settles (or ignores) and cleans up.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createClient,
  LoginCancelledError,
  LoginFailedError,
  PopupBlockedError,
} from '../../src/client/index.ts';
import { fakeWindowOpen, postToOpener } from './client-fixtures.ts';

const origin = 'http://localhost:3000';
const success = { type: 'bff:login', provider: 'graph', ok: true };

afterEach(() => {
  vi.restoreAllMocks();
});

/** Follows a promise's settlement, so a test can ask later whether it has settled (and not hang). */
function track(promise: Promise<unknown>): { settled: boolean } {
  const state = { settled: false };
  const mark = () => void (state.settled = true);
  promise.then(mark, mark);
  return state;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('client.login in a popup', () => {
  it('opens the gateway’s popup login (never noopener) and resolves on its bff:login message', async () => {
    const { popups } = fakeWindowOpen();
    const login = createClient().login('graph', {
      prompt: 'select_account',
      loginHint: 'bob@example.com',
    });
    const popup = popups[0]!;
    const url = new URL(popup.url);
    expect(url.origin + url.pathname).toBe(`${origin}/auth/login/graph`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      mode: 'popup',
      prompt: 'select_account',
      login_hint: 'bob@example.com',
    });
    expect(popup.features).toMatch(/^popup,width=\d+,height=\d+/);
    expect(popup.features).not.toContain('noopener');
    postToOpener(success, origin, popup);
    await expect(login).resolves.toEqual({ provider: 'graph', mode: 'popup' });
  });

  it('rejects with PopupBlockedError, telling the app to call login from a click handler, when window.open returns null', async () => {
    fakeWindowOpen({ blocked: true });
    const error = await createClient()
      .login('graph')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PopupBlockedError);
    expect((error as Error).message).toMatch(/click handler/);
  });

  it('rejects with LoginCancelledError within a second when the user closes the popup, and removes its listener and timers', async () => {
    const { popups } = fakeWindowOpen();
    const added = vi.spyOn(window, 'addEventListener');
    const removed = vi.spyOn(window, 'removeEventListener');
    const clearedIntervals = vi.spyOn(window, 'clearInterval');
    const login = createClient().login('graph');
    const listener = added.mock.calls.find(([type]) => type === 'message')?.[1];
    expect(listener).toBeTypeOf('function');
    const closedAt = Date.now();
    popups[0]!.closed = true;
    await expect(login).rejects.toBeInstanceOf(LoginCancelledError);
    expect(Date.now() - closedAt).toBeLessThan(1_000);
    expect(removed).toHaveBeenCalledWith('message', listener);
    expect(clearedIntervals).toHaveBeenCalled();
  });

  it('ignores bff:login messages from another origin, from another window, for another provider or of another shape', async () => {
    const { popups } = fakeWindowOpen();
    const login = createClient().login('graph');
    const state = track(login);
    const popup = popups[0]!;
    const otherWindow = { closed: false };
    postToOpener(success, 'https://evil.example', popup);
    postToOpener(success, origin, otherWindow);
    postToOpener(success, origin, null);
    postToOpener({ ...success, provider: 'servicenow' }, origin, popup);
    postToOpener({ ...success, type: 'other' }, origin, popup);
    postToOpener({ ...success, ok: 'yes' }, origin, popup);
    postToOpener('bff:login', origin, popup);
    await tick();
    expect(state.settled).toBe(false);
    postToOpener(success, origin, popup);
    await expect(login).resolves.toMatchObject({ provider: 'graph' });
  });

  it('rejects with LoginFailedError carrying the error code when the popup reports ok: false', async () => {
    const { popups } = fakeWindowOpen();
    const login = createClient().login('graph');
    postToOpener(
      { type: 'bff:login', provider: 'graph', ok: false, error: 'access_denied' },
      origin,
      popups[0],
    );
    const error = await login.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LoginFailedError);
    expect(error).toMatchObject({ provider: 'graph', error: 'access_denied' });
    expect(popups[0]!.closed).toBe(true);
  });

  it('reports an error that is not a short code as unknown_error, never its text', async () => {
    for (const sent of ['<img src=x onerror=alert(1)>', 'x'.repeat(101), 42]) {
      const { popups } = fakeWindowOpen();
      const login = createClient().login('graph');
      postToOpener(
        { type: 'bff:login', provider: 'graph', ok: false, error: sent },
        origin,
        popups[0],
      );
      const error = await login.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(LoginFailedError);
      expect(error).toMatchObject({ provider: 'graph', error: 'unknown_error' });
    }
  });

  it('opens a new popup for the next login once a popup failed', async () => {
    const { open, popups } = fakeWindowOpen();
    const client = createClient();
    const failed = client.login('graph');
    postToOpener(
      { type: 'bff:login', provider: 'graph', ok: false, error: 'access_denied' },
      origin,
      popups[0],
    );
    await expect(failed).rejects.toBeInstanceOf(LoginFailedError);
    const retried = client.login('graph');
    expect(open).toHaveBeenCalledTimes(2);
    postToOpener(success, origin, popups[1]);
    await expect(retried).resolves.toMatchObject({ provider: 'graph' });
  });

  it('keeps one pending popup per provider: a second login for it joins the first, another provider gets its own', async () => {
    const { open, popups } = fakeWindowOpen();
    const client = createClient();
    const first = client.login('graph');
    const second = client.login('graph');
    const other = client.login('servicenow');
    const otherState = track(other);
    expect(open).toHaveBeenCalledTimes(2);
    postToOpener(success, origin, popups[0]);
    await expect(Promise.all([first, second])).resolves.toHaveLength(2);
    await tick();
    expect(otherState.settled).toBe(false);
    popups[1]!.closed = true;
    await expect(other).rejects.toBeInstanceOf(LoginCancelledError);
    // Settled: the next login opens a new window.
    const again = client.login('graph');
    expect(open).toHaveBeenCalledTimes(3);
    postToOpener(success, origin, popups[2]);
    await again;
  });

  it('opens only the gateway’s own login endpoint from a given loginUrl, without its fragment', async () => {
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
    const client = createClient();
    for (const loginUrl of [
      'https://evil.example/auth/login/graph',
      'http://user:secret@localhost:3000/auth/login/graph',
      `${origin}/auth/login/graph/extra`,
      `${origin}/auth/logout`,
    ]) {
      await expect(client.login('graph', { mode: 'redirect', loginUrl }), loginUrl).rejects.toThrow(
        TypeError,
      );
    }
    expect(assign).not.toHaveBeenCalled();
    await client.login('graph', {
      mode: 'redirect',
      loginUrl: `${origin}/auth/login/graph?claims=e30%3D#fragment`,
      returnTo: '/',
    });
    expect(String(assign.mock.calls[0]?.[0])).toBe(
      `${origin}/auth/login/graph?claims=e30%3D&mode=redirect&return_to=%2F`,
    );
  });

  it('sets no default return_to when the gateway is on another origin than this page', async () => {
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
    await createClient({ baseUrl: 'https://gateway.example.com' }).login('graph', {
      mode: 'redirect',
    });
    expect(String(assign.mock.calls[0]?.[0])).toBe(
      'https://gateway.example.com/auth/login/graph?mode=redirect',
    );
  });

  it('navigates to the redirect login with return_to defaulting to this page', async () => {
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
    await createClient().login('servicenow', { mode: 'redirect' });
    await createClient().login('graph', { mode: 'redirect', returnTo: '/inbox?x=1' });
    expect(assign.mock.calls.map(([url]) => String(url))).toEqual([
      `${origin}/auth/login/servicenow?mode=redirect&return_to=%2F`,
      `${origin}/auth/login/graph?mode=redirect&return_to=%2Finbox%3Fx%3D1`,
    ]);
  });
});
