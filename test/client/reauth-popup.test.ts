// @vitest-environment happy-dom
// onReauth: 'popup': one popup for every call that met reauth, one retry each, a second reauth thrown.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createClient,
  LoginCancelledError,
  PopupBlockedError,
  ReauthRequiredError,
} from '../../src/client/index.ts';
import {
  fakeWindowOpen,
  json,
  postToOpener,
  reauth,
  scriptedFetch,
  until,
} from './client-fixtures.ts';

const origin = 'http://localhost:3000';
const success = { type: 'bff:login', provider: 'graph', ok: true };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("onReauth: 'popup'", () => {
  it('opens ONE popup for five concurrent calls that met reauth, then retries each once', async () => {
    const { open, popups } = fakeWindowOpen();
    let signedIn = false;
    const { fetch, calls } = scriptedFetch((call) =>
      signedIn ? json({ path: call.url }) : reauth({ reason: 'session_expired' }),
    );
    const client = createClient({ fetch, onReauth: 'popup' });
    const paths = [
      '/v1.0/me',
      '/v1.0/me/chats',
      '/v1.0/me/events',
      '/v1.0/me/messages',
      '/v1.0/users',
    ];
    const results = Promise.all(paths.map((path) => client.graph(path)));
    await until(() => popups.length === 1 && calls.length === 5);
    // Give the slower calls time to meet the pending popup rather than open their own.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(open).toHaveBeenCalledTimes(1);
    expect(new URL(popups[0]!.url).searchParams.get('mode')).toBe('popup');
    signedIn = true;
    postToOpener(success, origin, popups[0]);
    const responses = await results;
    expect(await Promise.all(responses.map((response) => response.json()))).toEqual(
      paths.map((path) => ({ path: `/graph${path}` })),
    );
    expect(calls).toHaveLength(10);
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('opens no popup for a streamed body, which could not be resent: the reauth is the app’s', async () => {
    const { open } = fakeWindowOpen();
    const { fetch, calls } = scriptedFetch(() => reauth());
    const body = new ReadableStream({ start: (controller) => controller.close() });
    const error = await createClient({ fetch, onReauth: 'popup' })
      .graph('/v1.0/upload', { method: 'PUT', body })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReauthRequiredError);
    expect(open).not.toHaveBeenCalled();
    expect(calls).toHaveLength(1);
  });

  it('throws a second reauth after the popup sign-in as it is: one popup, one retry, no loop', async () => {
    const { open, popups } = fakeWindowOpen();
    const { fetch, calls } = scriptedFetch(() => reauth());
    const call = createClient({ fetch, onReauth: 'popup' })
      .graph('/v1.0/me')
      .catch((caught: unknown) => caught);
    await until(() => popups.length === 1);
    postToOpener(success, origin, popups[0]);
    const error = await call;
    expect(error).toBeInstanceOf(ReauthRequiredError);
    expect((error as ReauthRequiredError).cause).toBeUndefined();
    expect(calls).toHaveLength(2);
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('opens the login_url of the reauth payload, so a claims challenge travels to the sign-in', async () => {
    const { popups } = fakeWindowOpen();
    let signedIn = false;
    const loginUrl = '/auth/login/graph?claims=eyJhY2Nlc3NfdG9rZW4iOnt9fQ%3D%3D';
    const { fetch } = scriptedFetch(() =>
      signedIn ? json({}) : reauth({ reason: 'claims_challenge', login_url: loginUrl }),
    );
    const call = createClient({ fetch, onReauth: 'popup' }).graph('/v1.0/me');
    await until(() => popups.length === 1);
    const opened = new URL(popups[0]!.url);
    expect(opened.searchParams.get('claims')).toBe('eyJhY2Nlc3NfdG9rZW4iOnt9fQ==');
    expect(opened.searchParams.get('mode')).toBe('popup');
    signedIn = true;
    postToOpener(success, origin, popups[0]);
    expect((await call).status).toBe(200);
  });

  it('rejects with the ReauthRequiredError, its cause saying why, when the popup is blocked or closed', async () => {
    fakeWindowOpen({ blocked: true });
    const { fetch } = scriptedFetch(() => reauth());
    const blocked = await createClient({ fetch, onReauth: 'popup' })
      .graph('/v1.0/me')
      .catch((caught: unknown) => caught);
    expect(blocked).toBeInstanceOf(ReauthRequiredError);
    expect((blocked as ReauthRequiredError).cause).toBeInstanceOf(PopupBlockedError);
    expect(blocked).toMatchObject({ provider: 'graph', reason: 'refresh_failed' });

    vi.restoreAllMocks();
    const { popups } = fakeWindowOpen();
    const closing = createClient({ fetch, onReauth: 'popup' })
      .graph('/v1.0/me')
      .catch((caught: unknown) => caught);
    await until(() => popups.length === 1);
    popups[0]!.closed = true;
    expect(((await closing) as ReauthRequiredError).cause).toBeInstanceOf(LoginCancelledError);
  });

  it('retries without a popup when another sign-in completed while the call was in flight', async () => {
    const { open, popups } = fakeWindowOpen();
    let release: (response: Response) => void = () => undefined;
    const slow = new Promise<Response>((resolve) => (release = resolve));
    const { fetch, calls } = scriptedFetch((_call, index) =>
      index === 0 ? slow : json({ ok: 1 }),
    );
    const client = createClient({ fetch, onReauth: 'popup' });
    const call = client.graph('/v1.0/me');
    await until(() => calls.length === 1);
    const login = client.login('graph');
    postToOpener(success, origin, popups[0]);
    await login;
    release(reauth({ reason: 'no_session' }));
    expect((await call).status).toBe(200);
    expect(open).toHaveBeenCalledTimes(1);
  });

  it("with the default onReauth: 'throw', opens no popup and sends once", async () => {
    const { open } = fakeWindowOpen();
    const { fetch, calls } = scriptedFetch(() => reauth());
    await expect(createClient({ fetch }).graph('/v1.0/me')).rejects.toBeInstanceOf(
      ReauthRequiredError,
    );
    expect(open).not.toHaveBeenCalled();
    expect(calls).toHaveLength(1);
  });
});
