// Proves the scripted authorization server refreshes like Entra ID (rotation, records, every scripted failure), driven by oauth4webapi, no mocks.
import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scope } from './openid-provider-client.ts';
import {
  scriptedRefresh,
  scriptedRefreshRequest,
  scriptedSignIn,
  type ScriptedLogin,
} from './scripted-authorization-server-client.ts';
import {
  startScriptedAuthorizationServer,
  tokenEndpointFailures,
  type ScriptedAuthorizationServer,
} from './scripted-authorization-server.ts';

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
        claims: null,
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
