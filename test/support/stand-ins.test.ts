// Proves the stand-ins answer like Entra ID and Graph, driven by oauth4webapi (the gateway's own OAuth library), no mocks.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLoopbackServer } from './loopback-server.ts';
import {
  downloadPattern,
  graphUnauthorizedBody,
  graphUnauthorizedChallenge,
  startMockGraph,
  type MockGraph,
} from './mock-graph.ts';
import { startOpenIdProvider, type TestOpenIdProvider } from './openid-provider.ts';
import {
  startScriptedAuthorizationServer,
  tokenEndpointFailures,
  type ScriptedAuthorizationServer,
} from './scripted-authorization-server.ts';
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

/**
 * Authorization code + PKCE through a fresh browser, then the code grant with client_secret_post,
 * as the gateway sends it: the raw token response, for a test to process as it needs.
 */
async function codeGrantWithSecretPost(
  server: oauth.AuthorizationServer,
  registered: { readonly clientId: string; readonly clientSecret: string },
  parameters: { scope: string; nonce?: string },
): Promise<Response> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(server.authorization_endpoint ?? '');
  url.search = new URLSearchParams({
    client_id: registered.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    ...parameters,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }).toString();
  const callback = await new TestBrowser().followUntil(url, redirectUri);
  const registeredClient = { client_id: registered.clientId };
  return oauth.authorizationCodeGrantRequest(
    server,
    registeredClient,
    oauth.ClientSecretPost(registered.clientSecret),
    oauth.validateAuthResponse(server, registeredClient, callback),
    redirectUri,
    codeVerifier,
    insecure,
  );
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
      const response = await codeGrantWithSecretPost(server, shortLived, {
        scope: 'openid User.Read',
      });
      const shortClient = { client_id: shortLived.clientId };
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
  let origin: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const loopback = await startLoopbackServer();
    ({ origin, close } = loopback);
    loopback.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
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
  });
  afterAll(() => close());

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

/** What a scripted login hands the test: the stand-in's metadata (issuer as discovered) and the tokens. */
interface ScriptedLogin {
  readonly server: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly tokens: oauth.TokenEndpointResponse;
}

/**
 * Multi-tenant, discovery's issuer keeps Entra's `{tenantid}` placeholder: oauth4webapi's strict
 * comparison would refuse it, so the document is taken as is and the ID token's `tid` is
 * substituted before validation, as providers.md prescribes for the gateway.
 */
async function discoverScripted(
  stand: ScriptedAuthorizationServer,
): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(stand.discoveryIssuer);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure });
  if (stand.discoveryIssuer === stand.issuer)
    return oauth.processDiscoveryResponse(issuer, response);
  return (await response.json()) as oauth.AuthorizationServer;
}

/** Reads `tid` before validation (as the gateway must) and names its issuer; single-tenant, a no-op. */
function withTenantIssuer(
  server: oauth.AuthorizationServer,
  idToken: string | undefined,
): oauth.AuthorizationServer {
  const payload = Buffer.from(idToken?.split('.')[1] ?? '', 'base64url').toString();
  const { tid } = JSON.parse(payload) as { tid: string };
  return { ...server, issuer: server.issuer.replace('{tenantid}', tid) };
}

async function idTokenOf(response: Response): Promise<string | undefined> {
  return ((await response.clone().json()) as { id_token?: string }).id_token;
}

/** Authorization code + PKCE against the scripted stand-in, client_secret_post, as the gateway does. */
async function scriptedSignIn(
  stand: ScriptedAuthorizationServer,
  scriptedScope = scope,
): Promise<ScriptedLogin> {
  const server = await discoverScripted(stand);
  const scriptedClient = { client_id: stand.clientId };
  const nonce = oauth.generateRandomNonce();
  const response = await codeGrantWithSecretPost(server, stand, { scope: scriptedScope, nonce });
  const idToken = await idTokenOf(response);
  const validating = idToken === undefined ? server : withTenantIssuer(server, idToken);
  const tokens = await oauth.processAuthorizationCodeResponse(
    validating,
    scriptedClient,
    response,
    {
      expectedNonce: idToken === undefined ? oauth.expectNoNonce : nonce,
    },
  );
  return { server, client: scriptedClient, tokens };
}

function scriptedRefreshRequest(
  stand: ScriptedAuthorizationServer,
  login: ScriptedLogin,
  refreshToken: string,
  signal?: AbortSignal,
): Promise<Response> {
  return oauth.refreshTokenGrantRequest(
    login.server,
    login.client,
    oauth.ClientSecretPost(stand.clientSecret),
    refreshToken,
    { ...insecure, signal },
  );
}

/** A refresh validated the way the gateway validates it: multi-tenant, against the `tid`'s issuer. */
async function scriptedRefresh(
  stand: ScriptedAuthorizationServer,
  login: ScriptedLogin,
  refreshToken: string,
): Promise<oauth.TokenEndpointResponse> {
  const response = await scriptedRefreshRequest(stand, login, refreshToken);
  const idToken = await idTokenOf(response);
  const validating = idToken === undefined ? login.server : withTenantIssuer(login.server, idToken);
  return oauth.processRefreshTokenResponse(validating, login.client, response);
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the scripted authorization server refreshes like Entra ID', () => {
  let stand: ScriptedAuthorizationServer;
  let login: ScriptedLogin;
  beforeAll(async () => {
    stand = await startScriptedAuthorizationServer();
    login = await scriptedSignIn(stand);
  });
  afterAll(async () => {
    await stand.close();
  });
  beforeEach(() => {
    stand.script = {};
  });

  it('a refresh rotates the refresh token and returns an ID token without nonce that oauth4webapi accepts', async () => {
    const first = await scriptedSignIn(stand);
    const second = await scriptedRefresh(stand, first, first.tokens.refresh_token ?? '');
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.tokens.refresh_token);
    expect(stand.latestRefreshToken()).toBe(second.refresh_token);
    expect(second.expires_in).toBe(3600);
    expect(second.scope).toBe(scope);
    const claims = oauth.getValidatedIdTokenClaims(second);
    expect(claims).toMatchObject({ iss: stand.issuer, aud: stand.clientId, tid: stand.tenantId });
    expect(claims?.sub).toBe(stand.user.sub);
    expect(claims).not.toHaveProperty('nonce');
    for (const secret of [second.access_token, second.refresh_token, second.id_token])
      expect(stand.issuedSecrets).toContain(secret);
  });

  it('records the state of each presented refresh token in its chain, never the token itself', async () => {
    const first = await scriptedSignIn(stand);
    const original = first.tokens.refresh_token ?? '';
    const rotated = (await scriptedRefresh(stand, first, original)).refresh_token ?? '';
    // Entra does not revoke the replaced token: it still refreshes, but is seen as superseded.
    await scriptedRefresh(stand, first, original);
    await scriptedRefresh(stand, first, rotated);
    await expect(scriptedRefresh(stand, first, 'never-issued')).rejects.toThrow();
    expect(stand.tokenRequests.slice(-5)).toEqual([
      expect.objectContaining({ grantType: 'authorization_code', refreshTokenState: null }),
      ...['latest', 'superseded', 'superseded', 'unknown'].map((refreshTokenState) => ({
        grantType: 'refresh_token',
        authMethod: 'client_secret_post',
        clientAuthenticated: true,
        hadCodeVerifier: false,
        pkceMatched: false,
        refreshTokenState,
      })),
    ]);
    expect(JSON.stringify(stand.tokenRequests)).not.toContain(original);
  });

  it('tokens-without-refresh-token omits it; accessTokenLifetimeSeconds sets expires_in', async () => {
    const latest = stand.latestRefreshToken();
    stand.script = { refresh: 'tokens-without-refresh-token', accessTokenLifetimeSeconds: 4_321 };
    const tokens = await scriptedRefresh(stand, login, latest ?? '');
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.expires_in).toBe(4_321);
    expect(oauth.getValidatedIdTokenClaims(tokens)).toBeDefined();
    expect(stand.latestRefreshToken()).toBe(latest);
  });

  it('a grant without openid gets no ID token on refresh', async () => {
    const withoutOpenId = await scriptedSignIn(stand, 'offline_access User.Read');
    expect(withoutOpenId.tokens.id_token).toBeUndefined();
    const refreshed = await scriptedRefresh(
      stand,
      withoutOpenId,
      withoutOpenId.tokens.refresh_token ?? '',
    );
    expect(refreshed.id_token).toBeUndefined();
    expect(refreshed.refresh_token).toBeTruthy();
  });

  it('refuses a refresh token it never issued with Entra’s invalid_grant', async () => {
    const refused = scriptedRefresh(stand, login, randomBytes(48).toString('base64url'));
    await expect(refused).rejects.toBeInstanceOf(oauth.ResponseBodyError);
    await expect(refused).rejects.toMatchObject({
      status: 400,
      error: 'invalid_grant',
      cause: { error_codes: [9002313] },
    });
    expect(stand.tokenRequests.at(-1)?.refreshTokenState).toBe('unknown');
  });

  type FailureName = keyof typeof tokenEndpointFailures;
  /** [failure, the status it answers, the body fields it carries]: the test is the same for each. */
  const entraFailures: [FailureName, number, Record<string, unknown>][] = [
    ['invalidGrant', 400, { error: 'invalid_grant', error_codes: [70008] }],
    [
      'invalidGrantInactive',
      400,
      { error: 'invalid_grant', error_codes: [700082], suberror: 'bad_token' },
    ],
    [
      'interactionRequired',
      400,
      { error: 'interaction_required', error_codes: [50079], suberror: 'basic_action' },
    ],
    ['temporarilyUnavailable', 400, { error: 'temporarily_unavailable', error_codes: [90033] }],
    ['invalidClient', 401, { error: 'invalid_client', error_codes: [7000215] }],
    ['unauthorizedClient', 400, { error: 'unauthorized_client', error_codes: [700016] }],
    ['invalidRequest', 400, { error: 'invalid_request', error_codes: [900144] }],
    ['unsupportedGrantType', 400, { error: 'unsupported_grant_type', error_codes: [70003] }],
  ];

  it.each(entraFailures)(
    '%s answers an Entra-shaped 4xx JSON body, which oauth4webapi throws as ResponseBodyError',
    async (name, status, fields) => {
      const answer = tokenEndpointFailures[name]();
      stand.script = { refresh: answer };
      const response = await scriptedRefreshRequest(stand, login, stand.latestRefreshToken() ?? '');
      const body = (await response.clone().json()) as Record<string, unknown>;
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(body).toMatchObject(fields);
      const code = (fields.error_codes as number[])[0];
      expect(body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
      expect(body.correlation_id).toMatch(uuidPattern);
      expect(body.correlation_id).toBe(answer.correlationId);
      expect(body.error_description).toContain(`Correlation ID: ${answer.correlationId}`);
      expect(body.trace_id).toMatch(uuidPattern);
      expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
      if (fields.error === 'interaction_required')
        expect(JSON.parse(body.claims as string)).toHaveProperty('access_token');
      const processed = oauth.processRefreshTokenResponse(login.server, login.client, response);
      await expect(processed).rejects.toBeInstanceOf(oauth.ResponseBodyError);
      await expect(processed).rejects.toMatchObject({ status, error: fields.error, cause: body });
    },
  );

  it('serviceUnavailableJson: a 503 JSON body with Retry-After 7, which oauth4webapi refuses to read', async () => {
    const answer = tokenEndpointFailures.serviceUnavailableJson();
    stand.script = { refresh: answer };
    const response = await scriptedRefreshRequest(stand, login, stand.latestRefreshToken() ?? '');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('7');
    const body = (await response.clone().json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      error: 'temporarily_unavailable',
      error_codes: [90033],
      correlation_id: answer.correlationId,
    });
    const processed = oauth.processRefreshTokenResponse(login.server, login.client, response);
    await expect(processed).rejects.toBeInstanceOf(oauth.OperationProcessingError);
    await expect(processed).rejects.toMatchObject({
      code: oauth.RESPONSE_IS_NOT_CONFORM,
      cause: { status: 503 },
    });
  });

  it.each<[FailureName, number, string]>([
    ['serviceUnavailableHtml', 503, oauth.RESPONSE_IS_NOT_CONFORM],
    ['tooManyRequestsText', 429, oauth.RESPONSE_IS_NOT_JSON],
  ])('%s: oauth4webapi throws OperationProcessingError with a code', async (name, status, code) => {
    stand.script = { refresh: tokenEndpointFailures[name]() };
    const response = await scriptedRefreshRequest(stand, login, stand.latestRefreshToken() ?? '');
    expect(response.status).toBe(status);
    const processed = oauth.processRefreshTokenResponse(login.server, login.client, response);
    await expect(processed).rejects.toBeInstanceOf(oauth.OperationProcessingError);
    await expect(processed).rejects.toMatchObject({ code });
  });

  it('each failure answer carries a fresh correlation id', () => {
    const first = tokenEndpointFailures.invalidGrantInactive().correlationId;
    expect(first).toMatch(uuidPattern);
    expect(tokenEndpointFailures.invalidGrantInactive().correlationId).not.toBe(first);
  });

  it('a hanging refresh ends on the client’s timeout', async () => {
    stand.script = { refresh: 'hang' };
    const hung = scriptedRefreshRequest(
      stand,
      login,
      stand.latestRefreshToken() ?? '',
      AbortSignal.timeout(200),
    );
    await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('close() ends a hanging refresh', async () => {
    const closing = await startScriptedAuthorizationServer();
    const closingLogin = await scriptedSignIn(closing);
    closing.script = { refresh: 'hang' };
    const hung = scriptedRefreshRequest(
      closing,
      closingLogin,
      closingLogin.tokens.refresh_token ?? '',
    );
    const settled = hung.then(
      () => 'answered',
      (error: unknown) => error,
    );
    await expect.poll(() => closing.tokenRequests.length).toBe(2);
    await closing.close();
    expect(await settled).toBeInstanceOf(TypeError);
  });
});

describe('the multi-tenant scripted authorization server refreshes like Entra ID', () => {
  let stand: ScriptedAuthorizationServer;
  beforeAll(async () => {
    stand = await startScriptedAuthorizationServer({ multiTenant: true });
  });
  afterAll(async () => {
    await stand.close();
  });

  it('a refresh’s ID token names the tid’s issuer: valid once the tid is substituted, refused as discovered', async () => {
    const guestTenant = randomUUID();
    stand.script = { tenantId: guestTenant };
    const login = await scriptedSignIn(stand);
    expect(login.server.issuer).toBe(`${new URL(stand.issuer).origin}/{tenantid}/v2.0`);
    const response = await scriptedRefreshRequest(stand, login, login.tokens.refresh_token ?? '');
    const idToken = await idTokenOf(response);
    const asDiscovered = oauth.processRefreshTokenResponse(
      login.server,
      login.client,
      response.clone(),
    );
    await expect(asDiscovered).rejects.toMatchObject({ code: oauth.JWT_CLAIM_COMPARISON });
    const validating = withTenantIssuer(login.server, idToken);
    const tokens = await oauth.processRefreshTokenResponse(validating, login.client, response);
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    expect(claims).toMatchObject({
      iss: `${new URL(stand.issuer).origin}/${guestTenant}/v2.0`,
      tid: guestTenant,
    });
    expect(claims).not.toHaveProperty('nonce');
  });
});
