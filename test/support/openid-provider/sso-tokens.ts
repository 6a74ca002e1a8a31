// Office-like SSO tokens: what `Office.auth.getAccessToken` returns, an Entra v2 access token for the gateway's own API.
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import { describeAccount } from './accounts.ts';
import type { SigningKey } from './configuration.ts';

/** Office's own client (the add-in host) that asks Entra for the SSO token: its `azp`. */
const officeClientId = 'ea5a67f6-b6f3-4338-b240-c655ddc3cc8e';

export interface SsoTokenOptions {
  /** Default `alice`. */
  readonly sub?: string;
  /** Default the gateway's client id (a v2 token); Office also sends `api://<host>/<client id>`. */
  readonly audience?: string;
  /** Default the provider's tenant. */
  readonly tenantId?: string;
  /** Default the provider's issuer. */
  readonly issuer?: string;
  /** Default 3600; negative for an expired token. */
  readonly expiresInSeconds?: number;
  /** Claims over the defaults; `undefined` removes one. */
  readonly claims?: Record<string, unknown>;
  /** Protected header members over `{ alg: 'RS256', typ: 'JWT', kid }`. */
  readonly header?: Record<string, unknown>;
  /** Sign with this key instead of the provider's, still naming the provider's `kid` (a forgery). */
  readonly signingKey?: SigningKey;
}

/** Signed with the provider's key (or `options.signingKey`), with the claims Entra puts in such a token. */
export async function signSsoToken(
  context: { issuer: string; tenantId: string; clientId: string; signingKey: SigningKey },
  options: SsoTokenOptions,
): Promise<string> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const tenantId = options.tenantId ?? context.tenantId;
  const sub = options.sub ?? 'alice';
  const account = describeAccount(sub, tenantId);
  const claims = withoutUndefined({
    aud: options.audience ?? context.clientId,
    iss: options.issuer ?? context.issuer,
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + (options.expiresInSeconds ?? 3600),
    azp: officeClientId,
    azpacr: '0',
    name: account.displayName,
    oid: account.objectId,
    preferred_username: account.email,
    scp: 'access_as_user',
    sub,
    tid: tenantId,
    uti: randomUUID(),
    ver: '2.0',
    ...options.claims,
  });
  const header = withoutUndefined({
    alg: 'RS256',
    typ: 'JWT',
    kid: context.signingKey.privateJwk.kid,
    ...options.header,
  });
  const key = await jose.importJWK((options.signingKey ?? context.signingKey).privateJwk, 'RS256');
  return new jose.SignJWT(claims).setProtectedHeader(header as jose.JWTHeaderParameters).sign(key);
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
