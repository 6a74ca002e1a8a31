// Logout tokens of the test OpenID provider: sent by oidc-provider itself, or signed here with its key for hostile variants.
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import type { SigningKey } from './configuration.ts';
import type { OidcProvider } from './oidc-provider-module.ts';

export const backChannelLogoutEvent = 'http://schemas.openid.net/event/backchannel-logout';

export interface LogoutTokenOptions {
  /** Claims to set over the defaults (iss, aud, iat, exp, jti, events); `undefined` removes one. */
  readonly claims?: Record<string, unknown>;
  /** Protected header members over `{ alg: 'RS256', kid, typ: 'logout+jwt' }`; `undefined` removes one. */
  readonly header?: Record<string, unknown>;
  /** Sign with this key instead of the provider's, still naming the provider's `kid` (a forgery). */
  readonly signingKey?: SigningKey;
}

export interface LogoutTokens {
  /** A logout token as Back-Channel Logout 1.0 §2.4 describes, signed with the provider's key. */
  sign(options?: LogoutTokenOptions): Promise<string>;
  /** oidc-provider builds, signs and POSTs its own logout token to the client's backchannel_logout_uri. */
  send(subject: string, providerSessionId: string): Promise<void>;
}

export function createLogoutTokens(context: {
  provider: OidcProvider;
  issuer: string;
  clientId: string;
  signingKey: SigningKey;
}): LogoutTokens {
  return {
    async sign(options = {}) {
      const nowSeconds = Math.floor(Date.now() / 1000);
      const claims = withoutUndefined({
        iss: context.issuer,
        aud: context.clientId,
        iat: nowSeconds,
        exp: nowSeconds + 120,
        jti: randomUUID(),
        events: { [backChannelLogoutEvent]: {} },
        ...options.claims,
      });
      const signingKey = options.signingKey ?? context.signingKey;
      const header = withoutUndefined({
        alg: 'RS256',
        kid: context.signingKey.privateJwk.kid,
        typ: 'logout+jwt',
        ...options.header,
      });
      const key = await jose.importJWK(signingKey.privateJwk, 'RS256');
      return new jose.SignJWT(claims)
        .setProtectedHeader(header as jose.JWTHeaderParameters)
        .sign(key);
    },
    async send(subject, providerSessionId) {
      const client = await context.provider.Client.find(context.clientId);
      if (client === undefined) throw new Error('the test client is not registered');
      await client.backchannelLogout(subject, providerSessionId);
    },
  };
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
