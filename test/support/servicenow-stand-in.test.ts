// Proves the ServiceNow stand-in answers OAuth like a ServiceNow instance, driven by oauth4webapi (the gateway's own OAuth library), no mocks.
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { serviceNowAccessDeniedBody } from './servicenow-stand-in.ts';
import { insecure } from './servicenow-stand-in/oauth-client.ts';
import {
  expectNoSecretInRecords,
  testRedirectUri,
  useServiceNowStandIn,
} from './servicenow-stand-in/test-setup.ts';

const standIn = useServiceNowStandIn(testRedirectUri);

function postToken(body: string, contentType: string): Promise<Response> {
  return fetch(`${standIn.serviceNow.url}/oauth_token.do`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
}

describe('the ServiceNow stand-in answers OAuth like an instance', () => {
  it('auto-approves a PKCE authorization request and redirects with code and state, without iss', async () => {
    const login = await standIn.oauthClient.authorize();
    expect(login.callback.origin + login.callback.pathname).toBe(testRedirectUri);
    expect(login.callback.searchParams.get('code')).toBeTruthy();
    expect(login.callback.searchParams.get('state')).toBe(login.state);
    expect(login.callback.searchParams.has('iss')).toBe(false);
    expect(standIn.serviceNow.authorizationRequests.at(-1)).toMatchObject({
      clientId: standIn.serviceNow.clientId,
      redirectUri: testRedirectUri,
      state: login.state,
      scope: 'useraccount',
      codeChallengeMethod: 'S256',
    });
  });

  it.each([
    ['an unknown client_id', { client_id: 'someone-else' }],
    ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example/callback' }],
    ['a PKCE method other than S256', { code_challenge_method: 'plain' }],
  ])('answers %s with an HTML error page, never a redirect', async (_case, parameters) => {
    const url = new URL(standIn.oauthClient.authorizationServer.authorization_endpoint ?? '');
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: standIn.serviceNow.clientId,
      redirect_uri: testRedirectUri,
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
      ...parameters,
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('exchanges a code with its PKCE verifier for ServiceNow’s token answer, once', async () => {
    const { authorizationServer, client } = standIn.oauthClient;
    const login = await standIn.oauthClient.authorize();
    const tokens = await oauth.processAuthorizationCodeResponse(
      authorizationServer,
      client,
      await standIn.oauthClient.exchange(login),
    );
    expect(tokens).toMatchObject({ scope: 'useraccount', token_type: 'bearer', expires_in: 1799 });
    expect(tokens.refresh_token).toBe(standIn.serviceNow.latestRefreshToken());
    expect(tokens.access_token).toBe(standIn.serviceNow.latestAccessToken());
    expect(standIn.serviceNow.tokenRequests.at(-1)).toEqual({
      grantType: 'authorization_code',
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
      clientAuthenticated: true,
      hadCodeVerifier: true,
      pkceMatched: true,
      refreshTokenKnown: null,
    });
    const replay = await standIn.oauthClient.exchange(login);
    expect(replay.status).toBe(401);
    expect(await replay.text()).toBe(serviceNowAccessDeniedBody);
  });

  it('refuses a wrong code verifier with 401 server_error, which oauth4webapi throws as a ResponseBodyError', async () => {
    const { authorizationServer, client } = standIn.oauthClient;
    const response = await standIn.oauthClient.exchange(
      await standIn.oauthClient.authorize(),
      oauth.generateRandomCodeVerifier(),
    );
    const failure = oauth.processAuthorizationCodeResponse(authorizationServer, client, response);
    await expect(failure).rejects.toBeInstanceOf(oauth.ResponseBodyError);
    await expect(failure).rejects.toMatchObject({
      status: 401,
      error: 'server_error',
      error_description: 'access_denied',
    });
    expect(standIn.serviceNow.tokenRequests.at(-1)).toMatchObject({ pkceMatched: false });
  });

  it('answers a refresh with a new access token and no refresh_token, or the same one repeated', async () => {
    const signedIn = await standIn.oauthClient.signIn();
    const refreshed = await standIn.oauthClient.refresh(signedIn.refresh_token ?? '');
    expect(refreshed.refresh_token).toBeUndefined();
    expect(refreshed.access_token).not.toBe(signedIn.access_token);
    expect(refreshed.expires_in).toBe(1799);
    standIn.serviceNow.refreshScript = 'tokens-repeating-refresh-token';
    expect((await standIn.oauthClient.refresh(signedIn.refresh_token ?? '')).refresh_token).toBe(
      signedIn.refresh_token,
    );
    expect(standIn.serviceNow.tokenRequests.at(-1)).toMatchObject({
      grantType: 'refresh_token',
      pkceMatched: null,
      refreshTokenKnown: true,
    });
  });

  it('answers a revoked refresh token with 401 server_error/access_denied: a ResponseBodyError, no challenge', async () => {
    const { authorizationServer, client } = standIn.oauthClient;
    const signedIn = await standIn.oauthClient.signIn();
    standIn.serviceNow.revokeRefreshTokens();
    const response = await standIn.oauthClient.refreshRequest(signedIn.refresh_token ?? '');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBeNull();
    const failure = oauth.processRefreshTokenResponse(authorizationServer, client, response);
    await expect(failure).rejects.toBeInstanceOf(oauth.ResponseBodyError);
    await expect(failure).rejects.toMatchObject({
      status: 401,
      error: 'server_error',
      cause: { error: 'server_error', error_description: 'access_denied' },
    });
    await expect(standIn.oauthClient.refresh('never-issued')).rejects.toMatchObject({
      status: 401,
    });
    expect(standIn.serviceNow.tokenRequests.at(-1)).toMatchObject({ refreshTokenKnown: false });
  });

  it('revokes a refresh token and the access tokens of its grant at /oauth_revoke_token.do', async () => {
    const { authorizationServer, client } = standIn.oauthClient;
    const signedIn = await standIn.oauthClient.signIn();
    const response = await fetch(
      `${standIn.serviceNow.url}/oauth_revoke_token.do?token=${encodeURIComponent(signedIn.refresh_token ?? '')}`,
      { method: 'POST' },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect(standIn.serviceNow.revocationRequests.at(-1)).toEqual({
      tokenLocation: 'query',
      matched: 'refresh_token',
      clientAuthenticated: false,
    });
    await expect(standIn.oauthClient.refresh(signedIn.refresh_token ?? '')).rejects.toMatchObject({
      status: 401,
    });
    const incidents = await fetch(`${standIn.serviceNow.url}/api/now/table/incident`, {
      headers: { authorization: `Bearer ${signedIn.access_token}` },
    });
    expect(incidents.status).toBe(401);
    const viaLibrary = await oauth.revocationRequest(
      authorizationServer,
      client,
      standIn.oauthClient.clientAuthentication,
      'unknown-token',
      insecure,
    );
    await oauth.processRevocationResponse(viaLibrary);
    expect(standIn.serviceNow.revocationRequests.at(-1)).toEqual({
      tokenLocation: 'form',
      matched: 'none',
      clientAuthenticated: true,
    });
  });

  it('refuses a JSON body at the token endpoint with 400 invalid_request', async () => {
    const response = await postToken(
      JSON.stringify({ grant_type: 'refresh_token', refresh_token: 'x' }),
      'application/json',
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    expect(standIn.serviceNow.tokenRequests.at(-1)).toMatchObject({
      grantType: null,
      contentType: 'application/json',
    });
  });

  it('answers a wrong client secret with exactly 401 {"error_description":"access_denied","error":"server_error"}', async () => {
    const signedIn = await standIn.oauthClient.signIn();
    const response = await postToken(
      new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: signedIn.refresh_token ?? '',
        client_id: standIn.serviceNow.clientId,
        client_secret: 'wrong',
      }).toString(),
      'application/x-www-form-urlencoded',
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.text()).toBe(serviceNowAccessDeniedBody);
    expect(standIn.serviceNow.tokenRequests.at(-1)).toMatchObject({ clientAuthenticated: false });
  });

  it('never records a code, token or secret', () => {
    expect(standIn.serviceNow.issuedSecrets.length).toBeGreaterThan(0);
    expectNoSecretInRecords(standIn.serviceNow);
  });
});
