// Proves the ServiceNow stand-in sends scripted refresh answers (503, 429, 401, hang) exactly, and what oauth4webapi makes of each.
import * as oauth from 'oauth4webapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { serviceNowFailures, startServiceNowStandIn } from '../servicenow-stand-in.ts';
import { testRedirectUri, useServiceNowStandIn } from './test-setup.ts';

const standIn = useServiceNowStandIn(testRedirectUri);

describe('the ServiceNow stand-in sends scripted refresh answers as scripted', () => {
  let refreshToken: string;
  beforeAll(async () => {
    refreshToken = (await standIn.oauthClient.signIn()).refresh_token ?? '';
  });

  it('sends a 503 HTML page, which oauth4webapi reports as OAUTH_RESPONSE_IS_NOT_CONFORM', async () => {
    const scripted = serviceNowFailures.serviceUnavailableHtml();
    standIn.serviceNow.refreshScript = scripted;
    const response = await standIn.oauthClient.refreshRequest(refreshToken);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('text/html;charset=UTF-8');
    expect(await response.text()).toBe(scripted.body);
    const failure = standIn.oauthClient.refresh(refreshToken);
    await expect(failure).rejects.toBeInstanceOf(oauth.OperationProcessingError);
    await expect(failure).rejects.toMatchObject({
      code: oauth.RESPONSE_IS_NOT_CONFORM,
      cause: { status: 503 },
    });
  });

  it('sends a 503 JSON body, which oauth4webapi also reports as OAUTH_RESPONSE_IS_NOT_CONFORM', async () => {
    standIn.serviceNow.refreshScript = serviceNowFailures.serviceUnavailableJson();
    await expect(standIn.oauthClient.refresh(refreshToken)).rejects.toMatchObject({
      code: oauth.RESPONSE_IS_NOT_CONFORM,
      cause: { status: 503 },
    });
  });

  it('sends 429 text/plain with Retry-After: 60, which oauth4webapi reports as OAUTH_RESPONSE_IS_NOT_JSON', async () => {
    standIn.serviceNow.refreshScript = serviceNowFailures.tooManyRequestsText();
    const response = await standIn.oauthClient.refreshRequest(refreshToken);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('60');
    expect(await response.clone().text()).toBe('Too Many Requests');
    await expect(
      oauth.processRefreshTokenResponse(
        standIn.oauthClient.authorizationServer,
        standIn.oauthClient.client,
        response,
      ),
    ).rejects.toMatchObject({ code: oauth.RESPONSE_IS_NOT_JSON });
  });

  it('sends the scripted 401 access_denied for a refresh token that is still alive', async () => {
    standIn.serviceNow.refreshScript = serviceNowFailures.accessDenied();
    await expect(standIn.oauthClient.refresh(refreshToken)).rejects.toMatchObject({
      status: 401,
      error: 'server_error',
    });
    standIn.serviceNow.refreshScript = 'tokens';
    expect((await standIn.oauthClient.refresh(refreshToken)).access_token).toBe(
      standIn.serviceNow.latestAccessToken(),
    );
  });

  it('hangs a refresh until close() ends it', async () => {
    const hanging = await startServiceNowStandIn({ redirectUris: [testRedirectUri] });
    hanging.refreshScript = 'hang';
    const request = fetch(`${hanging.url}/oauth_token.do`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'anything' }),
    });
    await expect.poll(() => hanging.tokenRequests.length).toBe(1);
    const closing = hanging.close();
    await expect(request).rejects.toThrow(TypeError);
    await closing;
  });
});
