// Forged, foreign, stale or oversized Office SSO tokens never reach the token endpoint, and no SSO or issued token is logged or stored readably.
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { createSsoTokenValidator } from '../../src/flows/sso-token.ts';
import { useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { closedOrigin } from '../support/loopback-server.ts';
import { createSigningKey } from '../support/openid-provider.ts';
import { dumpStore } from '../support/store-dump.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

/** Every SSO token a test sent: none may appear in a log line or the store. */
const sentSsoTokens: string[] = [];
const issue = async (
  ...options: Parameters<GatewayHarness['openIdProvider']['onBehalfOf']['issueSsoToken']>
) => {
  const token = await harness.openIdProvider.onBehalfOf.issueSsoToken(...options);
  sentSsoTokens.push(token);
  return token;
};
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function post(headers: Record<string, string>, browser = new TestBrowser()): Promise<Response> {
  return browser.fetch(`${harness.url}/auth/sso/graph`, { method: 'POST', headers });
}

/** Each builds the Authorization header of a request the gateway must refuse. */
const refusedAuthorizations: [string, () => Promise<string | null>][] = [
  ['a missing Authorization header', () => Promise.resolve(null)],
  ['a Basic credential', () => Promise.resolve('Basic YWxpY2U6c2VjcmV0')],
  ['a bearer that is not a JWT', () => Promise.resolve('Bearer not-a-jwt')],
  [
    'a token signed with a foreign key under the provider key id',
    async () => `Bearer ${await issue({ signingKey: createSigningKey() })}`,
  ],
  [
    'an unsigned token (alg none)',
    async () => {
      const claims = jose.decodeJwt(await issue());
      return `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
    },
  ],
  [
    'an HS256 token keyed with the client secret (algorithm confusion)',
    async () => {
      const claims = jose.decodeJwt(await issue());
      const secret = new TextEncoder().encode(harness.openIdProvider.clientSecret);
      return `Bearer ${await new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secret)}`;
    },
  ],
  ['a token for another API', async () => `Bearer ${await issue({ audience: randomUUID() })}`],
  [
    'a token for another API URI',
    async () => `Bearer ${await issue({ audience: `api://127.0.0.1/${randomUUID()}` })}`,
  ],
  [
    'a token for an API URI that only contains the client id',
    async () =>
      `Bearer ${await issue({ audience: `api://127.0.0.1/${harness.openIdProvider.clientId}/other` })}`,
  ],
  [
    'a token for a URI ending with the client id that is no api:// URI',
    async () =>
      `Bearer ${await issue({ audience: `https://127.0.0.1/${harness.openIdProvider.clientId}` })}`,
  ],
  [
    'a token from another issuer',
    async () =>
      `Bearer ${await issue({ issuer: `https://login.microsoftonline.com/${harness.openIdProvider.tenantId}/v2.0` })}`,
  ],
  ['an expired token', async () => `Bearer ${await issue({ expiresInSeconds: -600 })}`],
  [
    'a token not yet valid',
    async () => `Bearer ${await issue({ claims: { nbf: Math.floor(Date.now() / 1000) + 600 } })}`,
  ],
  ['a token from another tenant', async () => `Bearer ${await issue({ tenantId: randomUUID() })}`],
  [
    'a token without exp (it would never expire)',
    async () => `Bearer ${await issue({ claims: { exp: undefined } })}`,
  ],
  ['a token with an empty sub', async () => `Bearer ${await issue({ claims: { sub: '' } })}`],
  ['a token with a blank scp', async () => `Bearer ${await issue({ claims: { scp: ' ' } })}`],
  [
    'a token whose scp is not a string',
    async () => `Bearer ${await issue({ claims: { scp: ['access_as_user'] } })}`,
  ],
  [
    'an ID-token-like token without scp',
    async () => `Bearer ${await issue({ claims: { scp: undefined } })}`,
  ],
  [
    'an oversized token',
    async () => `Bearer ${await issue({ claims: { padding: 'x'.repeat(9.5 * 1024) } })}`,
  ],
];

describe('POST /auth/sso/graph refuses tokens Entra would not have issued to this gateway', () => {
  it.each(refusedAuthorizations)(
    'refuses %s with 401 invalid-sso-token, nothing redeemed',
    async (_name, build) => {
      const authorization = await build();
      const before = harness.openIdProvider.onBehalfOf.requests.length;
      const response = await post({
        'x-csrf': '1',
        ...(authorization === null ? {} : { authorization }),
      });
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ type: 'urn:bff:invalid-sso-token', status: 401 });
      const token = authorization?.split(' ')[1];
      if (token !== undefined && token.length > 20) expect(text).not.toContain(token);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(harness.openIdProvider.onBehalfOf.requests.length).toBe(before);
    },
  );

  it('refuses a request without X-CSRF: 1 with 403 before looking at the token', async () => {
    const before = harness.openIdProvider.onBehalfOf.requests.length;
    const response = await post({ authorization: `Bearer ${await issue()}` });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ type: 'urn:bff:csrf' });
    expect(harness.openIdProvider.onBehalfOf.requests.length).toBe(before);
  });

  it('answers 503 provider-unavailable, not 401, when the signing keys cannot be fetched', async () => {
    const resolved = await harness.gateway.dependencies.authorizationServers.resolve('graph');
    const unreachableKeys = {
      resolve: () =>
        Promise.resolve({
          ...resolved,
          authorizationServer: {
            ...resolved.authorizationServer,
            jwks_uri: `${closedOrigin}/keys`,
          },
        }),
    };
    const validator = createSsoTokenValidator(harness.config, unreachableKeys, Date.now);
    await expect(validator.validate(await issue())).rejects.toMatchObject({
      status: 503,
      code: 'provider_unavailable',
    });
  });
});

describe('no SSO token or issued token leaks', () => {
  it('accepts a valid token, then no log line and no stored value holds an SSO token or an issued token', async () => {
    const response = await post({ 'x-csrf': '1', authorization: `Bearer ${await issue()}` });
    expect(response.status).toBe(200);
    const secrets = [...sentSsoTokens, ...harness.openIdProvider.issuedSecrets];
    expect(harness.openIdProvider.issuedSecrets.length).toBeGreaterThan(0);
    const stored = JSON.stringify(await dumpStore(harness.redis));
    for (const secret of secrets) {
      expect(harness.logs.filter((line) => line.includes(secret))).toEqual([]);
      expect(stored).not.toContain(secret);
      // The signature alone is enough to replay a JWT's identity claims elsewhere.
      const signature = secret.split('.')[2];
      if (signature !== undefined && signature.length > 20) expect(stored).not.toContain(signature);
    }
  });
});
