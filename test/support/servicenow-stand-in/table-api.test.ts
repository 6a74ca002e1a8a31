// Proves the ServiceNow stand-in answers its REST API like a ServiceNow instance: bearer first, ServiceNow's bodies, records without secrets.
import { describe, expect, it } from 'vitest';
import { serviceNowNotFoundBody, startServiceNowStandIn } from '../servicenow-stand-in.ts';
import { serviceNowOAuthClient } from './oauth-client.ts';
import { expectNoSecretInRecords, testRedirectUri, useServiceNowStandIn } from './test-setup.ts';

const standIn = useServiceNowStandIn(testRedirectUri);

function apiGet(path: string, accessToken?: string): Promise<Response> {
  const headers: Record<string, string> =
    accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` };
  return fetch(`${standIn.serviceNow.url}${path}`, { headers });
}

describe('the ServiceNow stand-in answers the REST API like an instance', () => {
  it.each([
    ['no Authorization header', undefined, 'none'],
    ['a token it never issued', 'not-a-token', 'invalid'],
  ])('answers %s with ServiceNow’s 401 and its Basic challenge', async (_case, token, bearer) => {
    const response = await apiGet('/api/now/table/incident', token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="Service-now"');
    expect(response.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(await response.text()).toBe(
      '{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}',
    );
    expect(standIn.serviceNow.apiRequests.at(-1)).toMatchObject({ bearer, accessTokenIndex: null });
  });

  it('lists incidents for a valid bearer and records the request without the bearer', async () => {
    const signedIn = await standIn.oauthClient.signIn();
    const response = await apiGet('/api/now/table/incident?sysparm_limit=3', signedIn.access_token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    const { result } = (await response.json()) as { result: Record<string, string>[] };
    expect(result.map((incident) => incident.number)).toEqual(
      expect.arrayContaining(['INC0010001', 'INC0010002', 'INC0010003']),
    );
    const record = standIn.serviceNow.apiRequests.at(-1);
    expect(record).toMatchObject({
      method: 'GET',
      path: '/api/now/table/incident',
      query: 'sysparm_limit=3',
      bearer: 'valid',
      body: '',
      headers: { authorization: '<redacted>' },
    });
    expect(record?.accessTokenIndex).toBeTypeOf('number');
  });

  it('creates an incident with 201 and answers unknown paths with ServiceNow’s 404', async () => {
    const signedIn = await standIn.oauthClient.signIn();
    const fields = { short_description: 'Laptop battery swells', urgency: '2' };
    const created = await fetch(`${standIn.serviceNow.url}/api/now/table/incident`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${signedIn.access_token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(fields),
    });
    expect(created.status).toBe(201);
    const { result } = (await created.json()) as { result: Record<string, string> };
    expect(result).toMatchObject(fields);
    expect(result.number).toMatch(/^INC00100\d\d$/);
    expect(result.sys_id).toMatch(/^[0-9a-f]{32}$/);
    expect(standIn.serviceNow.apiRequests.at(-1)?.body).toBe(JSON.stringify(fields));
    const unknown = await apiGet('/api/now/table/nowhere', signedIn.access_token);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe(serviceNowNotFoundBody);
  });

  it('refuses every access token issued before rejectAccessTokens(), and a refreshed one works', async () => {
    const signedIn = await standIn.oauthClient.signIn();
    standIn.serviceNow.rejectAccessTokens();
    expect((await apiGet('/api/now/table/incident', signedIn.access_token)).status).toBe(401);
    const rejected = standIn.serviceNow.apiRequests.at(-1);
    expect(rejected?.bearer).toBe('invalid');
    expect(rejected?.accessTokenIndex).toBeTypeOf('number');
    const refreshed = await standIn.oauthClient.refresh(signedIn.refresh_token ?? '');
    expect((await apiGet('/api/now/table/incident', refreshed.access_token)).status).toBe(200);
    expect(standIn.serviceNow.apiRequests.at(-1)?.accessTokenIndex).toBe(
      (rejected?.accessTokenIndex ?? 0) + 1,
    );
  });

  it('lets a test override a route, handing it the request record, until it removes the override', async () => {
    const seenBearers: string[] = [];
    const remove = standIn.serviceNow.route(
      'GET',
      '/api/now/table/incident',
      (_request, response, record) => {
        seenBearers.push(record.bearer);
        response
          .writeHead(429, { 'retry-after': '7', 'x-ratelimit-rule': 'default' })
          .end('{"error":{"message":"Rate limit exceeded"},"status":"failure"}');
      },
    );
    const throttled = await apiGet('/api/now/table/incident');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(seenBearers).toEqual(['none']);
    remove();
    expect((await apiGet('/api/now/table/incident')).status).toBe(401);
  });

  it('lets an access token expire after accessTokenTtlSeconds by its own clock', async () => {
    const shortLived = await startServiceNowStandIn({
      redirectUris: [testRedirectUri],
      accessTokenTtlSeconds: 1,
    });
    try {
      const tokens = await serviceNowOAuthClient(shortLived, testRedirectUri).signIn();
      expect(tokens.expires_in).toBe(0);
      const headers = { authorization: `Bearer ${tokens.access_token}` };
      const incidentsUrl = `${shortLived.url}/api/now/table/incident`;
      expect((await fetch(incidentsUrl, { headers })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await fetch(incidentsUrl, { headers })).status).toBe(401);
    } finally {
      await shortLived.close();
    }
  });
});

describe('the ServiceNow stand-in keeps secrets out of its records', () => {
  it('never records a code, token or secret, the API requests’ bearers included', () => {
    expect(standIn.serviceNow.apiRequests.length).toBeGreaterThan(0);
    expectNoSecretInRecords(standIn.serviceNow);
  });
});
