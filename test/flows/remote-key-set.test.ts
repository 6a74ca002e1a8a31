// An OpenID provider's signing keys: fetched over https only (unless ALLOW_INSECURE_HTTP), within PROVIDER_TIMEOUT_S, and an outage is a 503, never a bad token.
import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.ts';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import type { ResolvedProvider } from '../../src/flows/authorization-servers.ts';
import { remoteKeySetOf, verifyWithKeySet } from '../../src/flows/remote-key-set.ts';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback-server.ts';

/** Only what remoteKeySetOf reads: the provider's id and its jwks_uri. */
function providerWithKeysAt(jwksUri: string): ResolvedProvider {
  return {
    config: { id: 'graph' },
    authorizationServer: { issuer: 'https://idp.example', jwks_uri: jwksUri },
  } as unknown as ResolvedProvider;
}

function configWith(allowInsecureHttp: boolean, providerTimeoutMs = 5_000): GatewayConfig {
  return { allowInsecureHttp, providerTimeoutMs } as GatewayConfig;
}

const invalid = (message: string, cause: unknown) =>
  new GatewayError(401, 'invalid_sso_token', message, { cause });

/** A JWS the key set must be fetched for: signed, with a key id. */
async function signedToken(): Promise<string> {
  const { privateKey } = await jose.generateKeyPair('RS256');
  return new jose.SignJWT({ sub: 'alice' })
    .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
    .setExpirationTime('5m')
    .sign(privateKey);
}

/** A JWKS endpoint that accepts the connection and never answers. */
let silent: LoopbackServer;
beforeAll(async () => {
  silent = await startLoopbackServer();
  silent.server.on('request', () => undefined);
});
afterAll(async () => {
  await silent.close();
});

describe('the remote key set', () => {
  it('is refused over plain http unless ALLOW_INSECURE_HTTP: 502 provider-misconfigured', () => {
    const provider = providerWithKeysAt('http://idp.example/keys');
    let refusal: unknown;
    try {
      remoteKeySetOf(provider, configWith(false));
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(GatewayError);
    expect(refusal).toMatchObject({ status: 502, code: 'provider_misconfigured' });
    expect(() => remoteKeySetOf(provider, configWith(true))).not.toThrow();
    expect(() =>
      remoteKeySetOf(providerWithKeysAt('https://idp.example/keys'), configWith(false)),
    ).not.toThrow();
  });

  it('that does not answer within PROVIDER_TIMEOUT_S is an outage (503), never a verdict on the token', async () => {
    const keySet = remoteKeySetOf(
      providerWithKeysAt(`${silent.origin}/keys`),
      configWith(true, 300),
    );
    const startedAt = Date.now();
    const outcome = await verifyWithKeySet(
      await signedToken(),
      keySet,
      { algorithms: ['RS256'] },
      'SSO token',
      invalid,
    ).then(
      () => null,
      (error: unknown) => error,
    );
    expect(outcome).toMatchObject({ status: 503, code: 'provider_unavailable' });
    expect(Date.now() - startedAt).toBeLessThan(4_000);
  });
});
