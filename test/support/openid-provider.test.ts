// Proves the OpenID provider stand-in answers like Entra ID, driven by oauth4webapi (the gateway's own OAuth library), no mocks.
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  codeGrantWithSecretPost,
  insecure,
  openIdProviderClient,
  postLogoutRedirectUri,
  redirectUri,
  type OpenIdProviderClient,
} from './openid-provider-client.ts';
import {
  createSigningKey,
  startOpenIdProvider,
  type TestOpenIdProvider,
} from './openid-provider.ts';
import { TestBrowser } from './test-browser.ts';

let openIdProvider: TestOpenIdProvider;
let authorizationServer: oauth.AuthorizationServer;
let client: oauth.Client;
let authorizationUrl: OpenIdProviderClient['authorizationUrl'];
let signIn: OpenIdProviderClient['signIn'];
let refresh: OpenIdProviderClient['refresh'];

beforeAll(async () => {
  openIdProvider = await startOpenIdProvider({
    redirectUris: [redirectUri],
    postLogoutRedirectUris: [postLogoutRedirectUri],
  });
  ({ authorizationServer, client, authorizationUrl, signIn, refresh } =
    await openIdProviderClient(openIdProvider));
});
afterAll(async () => {
  await openIdProvider.close();
});

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
      // Whole seconds: with 1 s a token issued late in a second could expire before the first check.
      accessTokenTtlSeconds: 2,
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
      expect(tokens.expires_in).toBe(2);
      expect(tokens.refresh_token).toBeUndefined();
      expect(await shortLived.introspect(tokens.access_token)).not.toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      expect(await shortLived.introspect(tokens.access_token)).toBeNull();
    } finally {
      await shortLived.close();
    }
  });
});

describe('the stand-in redeems Office SSO tokens On-Behalf-Of, as Entra does', () => {
  const onBehalfOf = (assertion: string) =>
    oauth.genericTokenEndpointRequest(
      authorizationServer,
      client,
      oauth.ClientSecretPost(openIdProvider.clientSecret),
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      { assertion, requested_token_use: 'on_behalf_of', scope: 'openid offline_access User.Read' },
      insecure,
    );

  it('issues an access token Graph accepts and a refresh token the refresh grant takes', async () => {
    const assertion = await openIdProvider.onBehalfOf.issueSsoToken({ sub: 'dave' });
    const response = await onBehalfOf(assertion);
    const tokens = await oauth.processGenericTokenEndpointResponse(
      authorizationServer,
      client,
      response,
    );
    expect(await openIdProvider.introspect(tokens.access_token)).toMatchObject({ sub: 'dave' });
    expect(openIdProvider.onBehalfOf.requests.at(-1)).toEqual({
      assertion,
      requestedTokenUse: 'on_behalf_of',
      scope: 'openid offline_access User.Read',
      clientId: openIdProvider.clientId,
      claims: null,
    });
    const refreshed = await refresh(tokens.refresh_token ?? '');
    expect(oauth.getValidatedIdTokenClaims(refreshed)?.sub).toBe('dave');
  });

  it('refuses a forged or expired assertion with invalid_grant, and answers a scripted failure once', async () => {
    const forged = await openIdProvider.onBehalfOf.issueSsoToken({
      signingKey: createSigningKey(),
    });
    expect(await (await onBehalfOf(forged)).json()).toMatchObject({
      error: 'invalid_grant',
      error_codes: [50013],
    });
    const expired = await openIdProvider.onBehalfOf.issueSsoToken({ expiresInSeconds: -60 });
    expect(await (await onBehalfOf(expired)).json()).toMatchObject({ error_codes: [500133] });
    const claims = '{"access_token":{"capolids":{"essential":true,"values":["p1"]}}}';
    openIdProvider.onBehalfOf.failNext({ error: 'interaction_required', claims });
    const valid = await openIdProvider.onBehalfOf.issueSsoToken();
    expect(await (await onBehalfOf(valid)).json()).toMatchObject({
      error: 'interaction_required',
      claims,
    });
    expect((await onBehalfOf(valid)).status).toBe(200);
  });
});
