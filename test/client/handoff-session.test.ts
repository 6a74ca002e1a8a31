// @vitest-environment happy-dom
// session(), logout(), the handoff helpers and Office SSO: what they send, what they return, the typed errors.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createClient,
  HandoffRefusedError,
  ProviderUnavailableError,
  readHandoffCode,
  ReauthRequiredError,
  SsoTokenRefusedError,
  UnexpectedResponseError,
} from '../../src/client/index.ts';
import { json, problem, reauth, scriptedFetch } from './client-fixtures.ts';

const origin = 'http://localhost:3000';
const code = 'q1Xv8Ji5mRr0N3kbdq-5_VJxXbU3kSKfXz1kW3CUQvE';

afterEach(() => {
  vi.restoreAllMocks();
  window.location.hash = '';
});

describe('readHandoffCode', () => {
  it('reads a well-formed bff_handoff_code from a fragment, and nothing else', () => {
    expect(readHandoffCode(`#bff_handoff_code=${code}`)).toBe(code);
    expect(readHandoffCode(`#state=x&bff_handoff_code=${code}`)).toBe(code);
    expect(readHandoffCode(`bff_handoff_code=${'a'.repeat(22)}`)).toBe('a'.repeat(22));
    for (const hash of [
      '',
      '#',
      `#bff_handoff_code=${'a'.repeat(21)}`,
      `#bff_handoff_code=${'a'.repeat(129)}`,
      `#bff_handoff_code=${code.slice(0, 30)}%2B${code.slice(30)}`,
      `#bff_handoff_code=${code}.x`,
      `#bff_handoff_code=${code}&bff_handoff_code=${code}`,
      `#other=${code}`,
    ]) {
      expect(readHandoffCode(hash), hash).toBeNull();
    }
  });

  it('reads this page’s fragment by default', () => {
    window.location.hash = `#bff_handoff_code=${code}`;
    expect(readHandoffCode()).toBe(code);
  });
});

describe('session and logout', () => {
  it('session() answers GET /auth/session’s JSON, and a store outage as ProviderUnavailableError', async () => {
    const body = {
      authenticated: true,
      user: { sub: 's', name: 'Bob', email: null },
      providers: { graph: { connected: false, login_url: '/auth/login/graph' } },
    };
    const { fetch, calls } = scriptedFetch((_call, index) =>
      index === 0
        ? json(body)
        : problem(503, { type: 'urn:bff:store-unavailable' }, { 'retry-after': '2' }),
    );
    const client = createClient({ fetch });
    expect(await client.session()).toEqual(body);
    expect(calls[0]).toMatchObject({
      url: '/auth/session',
      init: { method: 'GET', credentials: 'same-origin' },
    });
    await expect(client.session()).rejects.toMatchObject({
      name: 'ProviderUnavailableError',
      type: 'urn:bff:store-unavailable',
      retryAfter: 2,
    });
  });

  it('session() refuses an answer without a boolean authenticated or a providers object', async () => {
    for (const body of [
      { providers: {} },
      { authenticated: 'yes', providers: {} },
      { authenticated: true },
    ]) {
      const { fetch } = scriptedFetch(() => json(body));
      await expect(createClient({ fetch }).session()).rejects.toBeInstanceOf(
        UnexpectedResponseError,
      );
    }
  });

  it('logout() posts with X-CSRF, then goes to the end-session URL unless told not to', async () => {
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
    const endSessionUrl =
      'https://login.example.com/tenant/oauth2/v2.0/logout?client_id=c&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F';
    const { fetch, calls } = scriptedFetch((_call, index) =>
      json({ end_session_url: index < 2 ? endSessionUrl : null }),
    );
    const client = createClient({ fetch });
    expect(await client.logout()).toEqual({ endSessionUrl });
    expect(assign).toHaveBeenCalledWith(endSessionUrl);
    expect(await client.logout({ redirect: false })).toEqual({ endSessionUrl });
    expect(await client.logout()).toEqual({ endSessionUrl: null });
    expect(assign).toHaveBeenCalledTimes(1);
    expect(calls.map((call) => [call.url, call.init.method, call.headers.get('x-csrf')])).toEqual(
      Array(3).fill(['/auth/logout', 'POST', '1']),
    );
  });

  it('logout() never follows a non-web end-session URL', async () => {
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
    for (const url of [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
    ]) {
      const { fetch } = scriptedFetch(() => json({ end_session_url: url }));
      await expect(createClient({ fetch }).logout(), url).rejects.toBeInstanceOf(
        UnexpectedResponseError,
      );
    }
    expect(assign).not.toHaveBeenCalled();
  });

  it('logout() refuses an answer that is not a JSON object', async () => {
    const { fetch } = scriptedFetch(() => json([]));
    await expect(createClient({ fetch }).logout()).rejects.toBeInstanceOf(UnexpectedResponseError);
  });
});

describe('handoff and Office SSO', () => {
  it('startHandoff() posts the provider and return_to with X-CSRF and answers an absolute loginUrl', async () => {
    const { fetch, calls } = scriptedFetch(() =>
      json({
        handoff_id: 'h1',
        login_url: '/auth/login/graph?mode=handoff&handoff_id=h1&return_to=%2Fdone',
      }),
    );
    const started = await createClient({ fetch }).startHandoff('graph', { returnTo: '/done' });
    expect(started).toEqual({
      handoffId: 'h1',
      loginUrl: `${origin}/auth/login/graph?mode=handoff&handoff_id=h1&return_to=%2Fdone`,
    });
    expect(calls[0]?.url).toBe('/auth/handoff');
    expect(calls[0]?.headers.get('x-csrf')).toBe('1');
    expect(calls[0]?.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(calls[0]?.init.body as string)).toEqual({
      provider: 'graph',
      return_to: '/done',
    });
  });

  it('startHandoff() refuses an answer whose login_url is not the gateway’s login endpoint', async () => {
    for (const loginUrl of ['//evil.example/auth/login/graph', '/auth/logout', '/evil/login']) {
      const { fetch } = scriptedFetch(() => json({ handoff_id: 'h1', login_url: loginUrl }));
      await expect(createClient({ fetch }).startHandoff('graph'), loginUrl).rejects.toBeInstanceOf(
        UnexpectedResponseError,
      );
    }
  });

  it('redeemHandoff() takes only an ok: true answer for a success', async () => {
    const { fetch } = scriptedFetch(() => json({ provider: 'graph', ok: false }));
    await expect(createClient({ fetch }).redeemHandoff(code)).rejects.toBeInstanceOf(
      UnexpectedResponseError,
    );
  });

  it('redeemHandoff() posts the code, and a refusal is a HandoffRefusedError whose message holds no code', async () => {
    const { fetch, calls } = scriptedFetch((_call, index) =>
      index === 0
        ? json({ provider: 'graph', ok: true })
        : problem(400, { type: 'urn:bff:invalid-handoff' }),
    );
    const client = createClient({ fetch });
    expect(await client.redeemHandoff(code)).toEqual({ provider: 'graph', ok: true });
    expect(JSON.parse(calls[0]?.init.body as string)).toEqual({ code });
    expect(calls[0]?.headers.get('x-csrf')).toBe('1');
    const refused = await client.redeemHandoff(code).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(HandoffRefusedError);
    expect((refused as Error).message).not.toContain(code);
    // A malformed code is refused before it travels.
    await expect(client.redeemHandoff('short')).rejects.toBeInstanceOf(HandoffRefusedError);
    expect(calls).toHaveLength(2);
  });

  it('signInWithOfficeSso() sends the token as a bearer; a reauth answer is a ReauthRequiredError with the popup login URL', async () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    const popupLogin = '/auth/login/graph?mode=popup&claims=eyJ4Ijp7fX0%3D';
    const { fetch, calls } = scriptedFetch(
      (_call, index) =>
        [
          json({ provider: 'graph', ok: true }),
          reauth({ reason: 'claims_challenge', provider_error: undefined, login_url: popupLogin }),
          problem(401, { type: 'urn:bff:invalid-sso-token' }),
          problem(503, { type: 'urn:bff:provider-unavailable' }, { 'retry-after': '3' }),
        ][index]!,
    );
    const client = createClient({ fetch });
    expect(await client.signInWithOfficeSso(token)).toEqual({ provider: 'graph', ok: true });
    expect(calls[0]).toMatchObject({ url: '/auth/sso/graph', init: { method: 'POST' } });
    expect(calls[0]?.headers.get('authorization')).toBe(`Bearer ${token}`);
    expect(calls[0]?.headers.get('x-csrf')).toBe('1');
    const reauthError = await client.signInWithOfficeSso(token).catch((caught: unknown) => caught);
    expect(reauthError).toBeInstanceOf(ReauthRequiredError);
    expect(reauthError).toMatchObject({
      reason: 'claims_challenge',
      loginUrl: `${origin}${popupLogin}`,
    });
    const refused = await client.signInWithOfficeSso(token).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(SsoTokenRefusedError);
    expect((refused as Error).message).not.toContain(token);
    await expect(client.signInWithOfficeSso(token)).rejects.toBeInstanceOf(
      ProviderUnavailableError,
    );
    await expect(client.signInWithOfficeSso('not a token\r\nX: y')).rejects.toBeInstanceOf(
      SsoTokenRefusedError,
    );
    expect(calls).toHaveLength(4);
  });
});
