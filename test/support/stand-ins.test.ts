// Proves the stand-ins answer like Entra ID and Graph, driven by oauth4webapi (the gateway's own OAuth library), no mocks.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  downloadPattern,
  graphUnauthorizedBody,
  graphUnauthorizedChallenge,
  startMockGraph,
  type MockGraph,
} from './mock-graph.ts';
import { startOpenIdProvider, type TestOpenIdProvider } from './openid-provider.ts';
import { TestBrowser } from './test-browser.ts';

const redirectUri = 'http://127.0.0.1:9/auth/callback/graph';
const postLogoutRedirectUri = 'http://127.0.0.1:9/';
const scope = 'openid profile email offline_access User.Read Mail.Read';
// oauth4webapi refuses http:// unless told; the stand-ins are loopback only.
const insecure = { [oauth.allowInsecureRequests]: true };

let openIdProvider: TestOpenIdProvider;
let graph: MockGraph;
let authorizationServer: oauth.AuthorizationServer;
let client: oauth.Client;

beforeAll(async () => {
  openIdProvider = await startOpenIdProvider({
    redirectUris: [redirectUri],
    postLogoutRedirectUris: [postLogoutRedirectUri],
  });
  graph = await startMockGraph({ openIdProvider });
  const issuer = new URL(openIdProvider.issuer);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure });
  authorizationServer = await oauth.processDiscoveryResponse(issuer, response);
  client = { client_id: openIdProvider.clientId };
});
afterAll(async () => {
  await graph.close();
  await openIdProvider.close();
});

interface PendingLogin {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

async function authorizationUrl(parameters: Record<string, string> = {}): Promise<PendingLogin> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(authorizationServer.authorization_endpoint ?? '');
  const search = {
    client_id: openIdProvider.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...parameters,
  };
  for (const [name, value] of Object.entries(search)) url.searchParams.set(name, value);
  return { url, state, nonce, codeVerifier };
}

async function signIn(
  browser: TestBrowser,
  parameters: Record<string, string> = {},
  clientAuthentication = oauth.ClientSecretBasic(openIdProvider.clientSecret),
): Promise<oauth.TokenEndpointResponse> {
  const login = await authorizationUrl(parameters);
  const callback = await browser.followUntil(login.url, redirectUri);
  const callbackParameters = oauth.validateAuthResponse(
    authorizationServer,
    client,
    callback,
    login.state,
  );
  const response = await oauth.authorizationCodeGrantRequest(
    authorizationServer,
    client,
    clientAuthentication,
    callbackParameters,
    redirectUri,
    login.codeVerifier,
    insecure,
  );
  return oauth.processAuthorizationCodeResponse(authorizationServer, client, response, {
    expectedNonce: login.nonce,
  });
}

function refresh(refreshToken: string): Promise<oauth.TokenEndpointResponse> {
  const clientAuthentication = oauth.ClientSecretPost(openIdProvider.clientSecret);
  return oauth
    .refreshTokenGrantRequest(
      authorizationServer,
      client,
      clientAuthentication,
      refreshToken,
      insecure,
    )
    .then((response) => oauth.processRefreshTokenResponse(authorizationServer, client, response));
}

function graphGet(path: string, accessToken?: string): Promise<Response> {
  const headers =
    accessToken === undefined ? undefined : { authorization: `Bearer ${accessToken}` };
  return fetch(`${graph.url}${path}`, { headers, redirect: 'manual' });
}

describe('the OpenID provider stand-in answers like Entra ID', () => {
  it('publishes discovery under an issuer with a path, on Entra paths, without revocation', () => {
    const tenantPath = `${new URL(openIdProvider.issuer).origin}/${openIdProvider.tenantId}`;
    expect(openIdProvider.issuer).toBe(`${tenantPath}/v2.0`);
    expect(authorizationServer.issuer).toBe(openIdProvider.issuer);
    expect(authorizationServer.authorization_endpoint).toBe(`${tenantPath}/oauth2/v2.0/authorize`);
    expect(authorizationServer.token_endpoint).toBe(`${tenantPath}/oauth2/v2.0/token`);
    expect(authorizationServer.end_session_endpoint).toBe(`${tenantPath}/oauth2/v2.0/logout`);
    expect(authorizationServer.jwks_uri).toBe(`${tenantPath}/discovery/v2.0/keys`);
    expect(authorizationServer.revocation_endpoint).toBeUndefined();
    expect(authorizationServer.backchannel_logout_supported).toBeUndefined();
    expect(authorizationServer.code_challenge_methods_supported).toBeUndefined();
    expect(authorizationServer.scopes_supported).toEqual(expect.arrayContaining(['User.Read']));
  });

  it('completes authorization code + PKCE without a page: ID token claims and a refresh token', async () => {
    const tokens = await signIn(new TestBrowser());
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    expect(claims).toMatchObject({
      sub: 'alice',
      tid: openIdProvider.tenantId,
      name: 'Alice',
      email: 'alice@contoso.example',
      preferred_username: 'alice@contoso.example',
      aud: openIdProvider.clientId,
    });
    expect(claims?.oid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(typeof claims?.login_hint).toBe('string');
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.scope?.split(' ')).toEqual(expect.arrayContaining(['User.Read', 'Mail.Read']));
    expect(tokens.expires_in).toBe(3600);
    expect(await openIdProvider.introspect(tokens.access_token)).toMatchObject({
      sub: 'alice',
      clientId: openIdProvider.clientId,
    });
  });

  it('signs in the account login_hint names, also in a browser already signed in as another', async () => {
    const browser = new TestBrowser();
    await signIn(browser);
    const tokens = await signIn(browser, { login_hint: 'bob@contoso.example' });
    expect(oauth.getValidatedIdTokenClaims(tokens)?.email).toBe('bob@contoso.example');
  });

  it('rotates the refresh token on every use and refuses the old one with invalid_grant', async () => {
    const first = await signIn(new TestBrowser());
    const second = await refresh(first.refresh_token ?? '');
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(oauth.getValidatedIdTokenClaims(second)?.tid).toBe(openIdProvider.tenantId);
    const replay = refresh(first.refresh_token ?? '');
    await expect(replay).rejects.toBeInstanceOf(oauth.ResponseBodyError);
    await expect(replay).rejects.toMatchObject({ status: 400, error: 'invalid_grant' });
    // oidc-provider's reuse detection then revokes the whole grant (stricter than Entra).
    expect(await openIdProvider.introspect(second.access_token)).toBeNull();
  });

  it('records the grant type and client authentication of every token request, without secrets', async () => {
    openIdProvider.tokenRequests.length = 0;
    const tokens = await signIn(new TestBrowser());
    await refresh(tokens.refresh_token ?? '');
    expect(openIdProvider.tokenRequests).toEqual([
      { grantType: 'authorization_code', clientAuthentication: 'basic' },
      { grantType: 'refresh_token', clientAuthentication: 'post' },
    ]);
    expect(JSON.stringify(openIdProvider.tokenRequests)).not.toContain(openIdProvider.clientSecret);
  });

  it('refuses an authorization request without PKCE', async () => {
    const login = await authorizationUrl();
    login.url.searchParams.delete('code_challenge');
    login.url.searchParams.delete('code_challenge_method');
    const callback = await new TestBrowser().followUntil(login.url, redirectUri);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('ends login_hint=cancel with error=access_denied at the redirect URI', async () => {
    const login = await authorizationUrl({ login_hint: 'cancel' });
    const callback = await new TestBrowser().followUntil(login.url, redirectUri);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(login.state);
    expect(() =>
      oauth.validateAuthResponse(authorizationServer, client, callback, login.state),
    ).toThrow(oauth.AuthorizationResponseError);
  });

  it('refuses a token request that carries an Origin header, as Entra does for Web clients', async () => {
    const response = await fetch(authorizationServer.token_endpoint ?? '', {
      method: 'POST',
      headers: {
        origin: 'http://127.0.0.1:9',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: 'invalid_request',
      error_codes: [9002326],
    });
  });

  it('revokeAccount ends every grant: the access token stops working, the refresh fails', async () => {
    const tokens = await signIn(new TestBrowser(), { login_hint: 'carol' });
    await openIdProvider.revokeAccount('carol');
    expect(await openIdProvider.introspect(tokens.access_token)).toBeNull();
    await expect(refresh(tokens.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('redirects logout straight to a registered post_logout_redirect_uri and records it', async () => {
    const logout = new URL(authorizationServer.end_session_endpoint ?? '');
    logout.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
    logout.searchParams.set('state', 'after-logout');
    logout.searchParams.set('logout_hint', 'opaque-hint');
    const browser = new TestBrowser();
    expect(
      (await browser.followUntil(logout, postLogoutRedirectUri)).searchParams.get('state'),
    ).toBe('after-logout');
    expect(openIdProvider.logoutRequests.at(-1)).toMatchObject({ logoutHint: 'opaque-hint' });
    logout.searchParams.set('post_logout_redirect_uri', 'https://evil.example/');
    expect((await browser.fetch(logout)).status).toBe(400);
  });

  it('lets an access token expire after accessTokenTtlSeconds', async () => {
    const shortLived = await startOpenIdProvider({
      redirectUris: [redirectUri],
      accessTokenTtlSeconds: 1,
    });
    try {
      const issuer = new URL(shortLived.issuer);
      const discovery = await oauth.discoveryRequest(issuer, insecure);
      const server = await oauth.processDiscoveryResponse(issuer, discovery);
      const login = new URL(server.authorization_endpoint ?? '');
      const codeVerifier = oauth.generateRandomCodeVerifier();
      login.search = new URLSearchParams({
        client_id: shortLived.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'openid User.Read',
        code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      }).toString();
      const callback = await new TestBrowser().followUntil(login, redirectUri);
      const shortClient = { client_id: shortLived.clientId };
      const parameters = oauth.validateAuthResponse(server, shortClient, callback);
      const response = await oauth.authorizationCodeGrantRequest(
        server,
        shortClient,
        oauth.ClientSecretPost(shortLived.clientSecret),
        parameters,
        redirectUri,
        codeVerifier,
        insecure,
      );
      const tokens = await oauth.processAuthorizationCodeResponse(server, shortClient, response);
      expect(tokens.expires_in).toBe(1);
      expect(tokens.refresh_token).toBeUndefined();
      expect(await shortLived.introspect(tokens.access_token)).not.toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await shortLived.introspect(tokens.access_token)).toBeNull();
    } finally {
      await shortLived.close();
    }
  });
});

describe('the Graph stand-in answers like Microsoft Graph', () => {
  let accessToken: string;
  beforeAll(async () => {
    accessToken = (await signIn(new TestBrowser())).access_token;
  });

  it('answers /v1.0/me for the token subject', async () => {
    const response = await graphGet('/v1.0/me', accessToken);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      displayName: 'Alice',
      mail: 'alice@contoso.example',
      userPrincipalName: 'alice@contoso.example',
    });
  });

  it.each([
    ['no Authorization header', undefined],
    ['a token it never issued', 'not-a-token'],
  ])('answers Graph’s exact 401 to %s', async (_case, token) => {
    const response = await graphGet('/v1.0/me', token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(graphUnauthorizedChallenge);
    expect(await response.text()).toBe(
      '{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid."}}',
    );
    expect(graphUnauthorizedBody.error.code).toBe('InvalidAuthenticationToken');
  });

  it('round-trips the sha256 of a streamed 50 MB upload and records it', async () => {
    graph.reset();
    const body = randomBytes(50 * 1024 * 1024);
    const response = await fetch(`${graph.url}/v1.0/upload`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${accessToken}` },
      body,
    });
    const sha256 = createHash('sha256').update(body).digest('hex');
    expect(await response.json()).toEqual({ length: body.length, sha256 });
    expect(graph.requests).toMatchObject([
      { method: 'PUT', bodyLength: body.length, bodySha256: sha256 },
    ]);
  });

  it('streams a download of the deterministic pattern and notices a client that goes away', async () => {
    graph.reset();
    const complete = await graphGet('/v1.0/download?bytes=300000', accessToken);
    expect(complete.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await complete.arrayBuffer()).equals(downloadPattern(300_000))).toBe(true);
    const controller = new AbortController();
    const abandoned = await fetch(`${graph.url}/v1.0/download?bytes=${50 * 1024 * 1024}`, {
      headers: { authorization: `Bearer ${accessToken}` },
      signal: controller.signal,
    });
    await abandoned.body?.getReader().read();
    controller.abort();
    await expect.poll(() => graph.downloads[1]?.outcome).toBe('client-went-away');
    expect(graph.downloads[0]?.outcome).toBe('completed');
    expect(graph.downloads[1]?.writtenBytes).toBeLessThan(50 * 1024 * 1024);
  });

  it('answers the pre-authenticated redirect, the echo, the cookie route and unknown paths', async () => {
    const redirect = await graphGet('/v1.0/me/drive/items/abc/content', accessToken);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(
      'https://download.example.invalid/preauth/abc?tempauth=xyz',
    );
    const echo = await fetch(`${graph.url}/v1.0/echo`, {
      headers: { authorization: `Bearer ${accessToken}`, 'x-probe': 'yes' },
    });
    expect(await echo.json()).toMatchObject({ 'x-probe': 'yes' });
    const cookie = await graphGet('/v1.0/set-cookie', accessToken);
    expect(cookie.headers.getSetCookie()).toEqual(['upstream=1; Path=/']);
    expect(cookie.headers.get('www-authenticate')).toBeTruthy();
    const unknown = await graphGet('/v1.0/nowhere', accessToken);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'ResourceNotFound' } });
  });

  it('lets a test override a route, and counts keep-alive connections', async () => {
    graph.route('GET', '/v1.0/me', (_request, response) => {
      response.writeHead(429, { 'retry-after': '2.128' }).end();
    });
    const throttled = await graphGet('/v1.0/me', accessToken);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2.128');
    graph.reset();
    const before = graph.connectionCount;
    for (let index = 0; index < 3; index += 1)
      await (await graphGet('/v1.0/me/messages', accessToken)).arrayBuffer();
    expect(graph.connectionCount - before).toBeLessThanOrEqual(1);
    expect(graph.requests.map((request) => request.url)).toEqual(
      Array(3).fill('/v1.0/me/messages'),
    );
  });

  it('waits before sending headers on /v1.0/slow', async () => {
    const started = Date.now();
    const response = await graphGet('/v1.0/slow?ms=200', accessToken);
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});

describe('the test browser keeps cookies like a browser', () => {
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const headers: Record<string, string | string[]> = {
        'x-cookie': request.headers.cookie ?? '',
      };
      if (url.pathname === '/set')
        headers['set-cookie'] = ['root=1; Path=/', 'scoped=2; Path=/app', 'gone=3; Path=/'];
      if (url.pathname === '/delete')
        headers['set-cookie'] = [
          'root=; Max-Age=0; Path=/',
          'gone=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/',
        ];
      if (url.pathname === '/hop') headers.location = '/app/end';
      response.writeHead(url.pathname === '/hop' ? 302 : 200, headers).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('honours Path, deletes on Max-Age=0 or a past Expires, and follows redirects on request', async () => {
    const browser = new TestBrowser();
    await browser.fetch(`${origin}/set`);
    expect((await browser.fetch(`${origin}/other`)).headers.get('x-cookie')).toBe('root=1; gone=3');
    expect((await browser.fetch(`${origin}/app/x`)).headers.get('x-cookie')).toBe(
      'scoped=2; root=1; gone=3',
    );
    expect(browser.cookieAttributes('127.0.0.1', 'scoped')).toBe('scoped=2; Path=/app');
    await browser.fetch(`${origin}/delete`);
    expect(browser.cookie('127.0.0.1', 'root')).toBeUndefined();
    expect(browser.cookie('127.0.0.1', 'gone')).toBeUndefined();
    expect(browser.cookieAttributes('127.0.0.1', 'root')).toContain('Max-Age=0');
    expect((await browser.fetch(`${origin}/hop`)).status).toBe(302);
    const followed = await browser.fetch(`${origin}/hop`, { follow: true });
    expect(followed.url).toBe(`${origin}/app/end`);
    expect(followed.headers.get('x-cookie')).toBe('scoped=2');
    browser.setCookie('127.0.0.1', 'scoped', 'forged');
    expect((await browser.fetch(`${origin}/app/`)).headers.get('x-cookie')).toBe('scoped=forged');
    browser.clearCookies();
    expect(browser.cookie('127.0.0.1', 'scoped')).toBeUndefined();
  });
});
