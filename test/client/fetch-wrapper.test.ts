// @vitest-environment happy-dom
// The client's fetch wrapper: X-CSRF added, the gateway's own problems typed, everything else handed back untouched.
import { describe, expect, it } from 'vitest';
import {
  createClient,
  ProviderUnavailableError,
  ReauthRequiredError,
} from '../../src/client/index.ts';
import { json, problem, reauth, scriptedFetch } from './client-fixtures.ts';

const origin = 'http://localhost:3000';

describe('client.fetch', () => {
  it('sends to /{provider}{path} with X-CSRF: 1 added, the caller’s headers, method and body kept, and same-origin credentials', async () => {
    const { fetch, calls } = scriptedFetch(() => json({ id: 1 }));
    const client = createClient({ fetch });
    const response = await client.fetch('graph', '/v1.0/me/messages?$top=5', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'abc' },
      body: '{"subject":"hi"}',
    });
    expect(await response.json()).toEqual({ id: 1 });
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.url).toBe('/graph/v1.0/me/messages?$top=5');
    expect(call?.headers.get('x-csrf')).toBe('1');
    expect(call?.headers.get('x-request-id')).toBe('abc');
    expect(call?.headers.get('content-type')).toBe('application/json');
    expect(call?.init).toMatchObject({
      method: 'POST',
      body: '{"subject":"hi"}',
      credentials: 'same-origin',
    });
  });

  it('sends cookies to a gateway on another origin (credentials: include) and names it in the URL; graph() and servicenow() are shorthands', async () => {
    const { fetch, calls } = scriptedFetch(() => json({}));
    const client = createClient({ baseUrl: 'https://gateway.example.com/', fetch });
    await client.graph('/v1.0/me');
    await client.servicenow('/api/now/table/incident', { headers: new Headers({ a: 'b' }) });
    expect(calls.map((call) => call.url)).toEqual([
      'https://gateway.example.com/graph/v1.0/me',
      'https://gateway.example.com/servicenow/api/now/table/incident',
    ]);
    expect(calls.map((call) => call.init.credentials)).toEqual(['include', 'include']);
    expect(calls[1]?.headers.get('a')).toBe('b');
  });

  it('refuses a baseUrl that is not an http(s) URL or a path', () => {
    for (const baseUrl of ['javascript:alert(1)', 'ftp://gateway.example.com', 'data:text/plain,x'])
      expect(() => createClient({ baseUrl }), baseUrl).toThrow(TypeError);
  });

  it('keeps the credentials mode the caller chose', async () => {
    const { fetch, calls } = scriptedFetch(() => json({}));
    await createClient({ fetch }).graph('/v1.0/me', { credentials: 'omit' });
    expect(calls[0]?.init.credentials).toBe('omit');
  });

  it('refuses a provider or path that could rewrite the request path, before sending anything', async () => {
    const { fetch, calls } = scriptedFetch(() => json({}));
    const client = createClient({ fetch });
    await expect(client.fetch('../auth', '/logout')).rejects.toThrow(TypeError);
    await expect(client.fetch('graph/../auth', '/logout')).rejects.toThrow(TypeError);
    await expect(client.fetch('graph.', '/x')).rejects.toThrow(TypeError);
    await expect(client.fetch('graph', 'v1.0/me')).rejects.toThrow(TypeError);
    await expect(client.fetch('graph', '//evil.example/x')).rejects.toThrow(TypeError);
    expect(calls).toHaveLength(0);
  });

  it('turns a 401 reauth payload into a ReauthRequiredError with provider, reason, absolute loginUrl and providerError', async () => {
    const { fetch } = scriptedFetch(() => reauth());
    const error = await createClient({ fetch })
      .graph('/v1.0/me')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReauthRequiredError);
    expect(error).toMatchObject({
      name: 'ReauthRequiredError',
      provider: 'graph',
      reason: 'refresh_failed',
      loginUrl: `${origin}/auth/login/graph`,
      providerError: 'invalid_grant',
    });
    const noSession = await createClient({
      fetch: scriptedFetch(() =>
        reauth({
          reason: 'no_session',
          provider_error: undefined,
          login_url: '/auth/login/graph?claims=eyJ9',
        }),
      ).fetch,
    })
      .graph('/v1.0/me')
      .catch((caught: unknown) => caught as ReauthRequiredError);
    expect(noSession).toMatchObject({
      reason: 'no_session',
      providerError: null,
      loginUrl: `${origin}/auth/login/graph?claims=eyJ9`,
    });
  });

  it('never points a sign-in at another site: a login_url off the gateway’s login endpoint becomes the plain one', async () => {
    for (const loginUrl of [
      'https://evil.example/auth/login/graph',
      '//evil.example/x',
      '/somewhere/else',
      'javascript:alert(1)',
    ]) {
      const { fetch } = scriptedFetch(() => reauth({ login_url: loginUrl }));
      const error = (await createClient({ fetch })
        .graph('/v1.0/me')
        .catch((caught: unknown) => caught)) as ReauthRequiredError;
      expect(error.loginUrl, loginUrl).toBe(`${origin}/auth/login/graph`);
    }
  });

  it('turns the gateway’s 503s into a ProviderUnavailableError carrying the type and a fractional Retry-After', async () => {
    const { fetch } = scriptedFetch((_call, index) =>
      index === 0
        ? problem(503, { type: 'urn:bff:provider-unavailable' }, { 'retry-after': '1.5' })
        : problem(503, { type: 'urn:bff:store-unavailable' }),
    );
    const client = createClient({ fetch });
    const first = await client.graph('/v1.0/me').catch((caught: unknown) => caught);
    expect(first).toBeInstanceOf(ProviderUnavailableError);
    expect(first).toMatchObject({ type: 'urn:bff:provider-unavailable', retryAfter: 1.5 });
    const second = await client.graph('/v1.0/me').catch((caught: unknown) => caught);
    expect(second).toMatchObject({ type: 'urn:bff:store-unavailable', retryAfter: null });
  });

  it('resends once on urn:bff:retry when the body can be sent again, and gives up with ProviderUnavailableError after a second one', async () => {
    const retry = () => problem(503, { type: 'urn:bff:retry' }, { 'retry-after': '0' });
    const once = scriptedFetch((_call, index) => (index === 0 ? retry() : json({ sent: 2 })));
    const response = await createClient({ fetch: once.fetch }).graph(
      '/v1.0/me/drive/root:/a.txt:/content',
      { method: 'PUT', body: new Blob(['abc']) },
    );
    expect(await response.json()).toEqual({ sent: 2 });
    expect(once.calls).toHaveLength(2);
    expect(once.calls[1]?.headers.get('x-csrf')).toBe('1');

    const twice = scriptedFetch(() => retry());
    const error = await createClient({ fetch: twice.fetch })
      .graph('/v1.0/me', { method: 'POST', body: 'x' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      name: 'ProviderUnavailableError',
      type: 'urn:bff:retry',
      retryAfter: 0,
    });
    expect(twice.calls).toHaveLength(2);
  });

  it('does not resend a streamed body on urn:bff:retry: the stream is spent, the app gets ProviderUnavailableError', async () => {
    const { fetch, calls } = scriptedFetch(() =>
      problem(503, { type: 'urn:bff:retry' }, { 'retry-after': '0' }),
    );
    const body = new ReadableStream({ start: (controller) => controller.close() });
    const error = await createClient({ fetch })
      .graph('/v1.0/upload', { method: 'PUT', body })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'ProviderUnavailableError', type: 'urn:bff:retry' });
    expect(calls).toHaveLength(1);
  });

  it('hands back every other answer untouched: upstream 401/403/429/503, another problem, 2xx', async () => {
    const answers = [
      new Response('{"error":{"code":"InvalidAuthenticationToken"}}', {
        status: 401,
        headers: { 'content-type': 'application/json' },
      }),
      new Response('forbidden', { status: 403 }),
      new Response('slow down', { status: 429, headers: { 'retry-after': '7' } }),
      new Response('maintenance', { status: 503, headers: { 'retry-after': '30' } }),
      problem(503, { type: 'https://upstream.example/problems/busy' }),
      problem(403, { type: 'urn:bff:route-not-allowed' }),
      // Only a 503 is the gateway's unavailability: the same type on another status is not.
      problem(401, { type: 'urn:bff:provider-unavailable' }),
      // Over 64 KiB: not one of the gateway's problems, never buffered whole by the client.
      problem(503, { type: 'urn:bff:provider-unavailable', padding: 'x'.repeat(70_000) }),
      new Response(null, { status: 204 }),
    ];
    const { fetch } = scriptedFetch((_call, index) => answers[index]!);
    const client = createClient({ fetch });
    for (const expected of answers) {
      const response = await client.graph('/v1.0/me');
      expect(response).toBe(expected);
      expect(response.bodyUsed).toBe(false);
    }
    expect(await answers[2]!.text()).toBe('slow down');
    // A problem the client looked into is still whole for the app.
    expect(await answers[4]!.json()).toMatchObject({
      type: 'https://upstream.example/problems/busy',
    });
  });
});
