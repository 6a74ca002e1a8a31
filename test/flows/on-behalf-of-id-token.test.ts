// An On-Behalf-Of answer is believed only for the user the SSO token named: an ID token in it naming anyone else ends in reauth, no tokens kept.
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedProvider } from '../../src/flows/authorization-servers.ts';
import { redeemOnBehalfOf } from '../../src/flows/on-behalf-of.ts';
import type { ValidatedSsoToken } from '../../src/flows/sso-token.ts';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback-server.ts';

const clientId = 'gateway-client';
let tokenEndpoint: LoopbackServer;
/** The subject of the ID token the next answer carries. */
let idTokenSubject = 'alice';
let signingKey: CryptoKey;

beforeAll(async () => {
  ({ privateKey: signingKey } = await jose.generateKeyPair('RS256'));
  tokenEndpoint = await startLoopbackServer();
  tokenEndpoint.server.on('request', (request, response) => {
    request.resume();
    request.on('end', () => {
      void new jose.SignJWT({ sub: idTokenSubject })
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer(tokenEndpoint.origin)
        .setAudience(clientId)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(signingKey)
        .then((idToken) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(
            JSON.stringify({
              access_token: 'obo-access-token',
              token_type: 'Bearer',
              expires_in: 3600,
              scope: 'User.Read',
              id_token: idToken,
            }),
          );
        });
    });
  });
});
afterAll(async () => {
  await tokenEndpoint.close();
});

function provider(): ResolvedProvider {
  const authorizationServer = {
    issuer: tokenEndpoint.origin,
    token_endpoint: `${tokenEndpoint.origin}/token`,
  };
  return {
    config: {
      id: 'graph',
      scopes: ['User.Read'],
      clientCapabilities: [],
      refreshRejections: [],
      authorizationServer: { kind: 'explicit' },
    },
    authorizationServer,
    client: { client_id: clientId },
    clientAuthentication: oauth.ClientSecretPost('secret'),
    redirectUri: 'http://127.0.0.1/auth/callback/graph',
    httpOptions: () => ({
      signal: AbortSignal.timeout(5_000),
      [oauth.allowInsecureRequests]: true,
    }),
  } as unknown as ResolvedProvider;
}

function ssoTokenOf(subject: string): ValidatedSsoToken {
  return {
    assertion: 'header.payload.signature',
    subject,
    user: { sub: subject, tenantId: null },
    authorizationServer: provider().authorizationServer,
  } as unknown as ValidatedSsoToken;
}

describe('redeemOnBehalfOf', () => {
  it('keeps the tokens when the answer’s ID token names the SSO token’s subject', async () => {
    idTokenSubject = 'alice';
    const tokens = await redeemOnBehalfOf(provider(), ssoTokenOf('alice'), Date.now);
    expect(tokens).toMatchObject({ accessToken: 'obo-access-token', subject: 'alice' });
  });

  it('refuses an answer whose ID token names another subject: 401 reauth, no tokens', async () => {
    idTokenSubject = 'mallory';
    const outcome = await redeemOnBehalfOf(provider(), ssoTokenOf('alice'), Date.now).then(
      (tokens) => tokens,
      (error: unknown) => error,
    );
    expect(outcome).toMatchObject({ status: 401, code: 'reauth_required' });
  });
});
