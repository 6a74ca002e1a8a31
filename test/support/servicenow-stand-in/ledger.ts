// What the ServiceNow stand-in has issued (codes, access and refresh tokens) and what is still alive, by its own clock.
import { randomBytes } from 'node:crypto';

/** ServiceNow's default refresh token lifetime: 100 days from issue, not sliding (providers.md). */
const refreshTokenLifetimeMilliseconds = 100 * 24 * 60 * 60 * 1000;

export interface IssuedCode {
  readonly redirectUri: string;
  readonly codeChallenge: string;
}

export interface IssuedAccessToken {
  readonly value: string;
  /** 0-based, in issue order: what `ApiRequestRecord.accessTokenIndex` names. */
  readonly index: number;
  readonly expiresAt: number;
  /** The refresh token of the same grant: revoking it ends this access token too. */
  readonly refreshToken: string;
  revoked: boolean;
}

export interface IssuedRefreshToken {
  readonly value: string;
  readonly expiresAt: number;
  revoked: boolean;
}

export type AccessTokenVerdict =
  | { readonly bearer: 'none'; readonly accessTokenIndex: null }
  | { readonly bearer: 'valid' | 'invalid'; readonly accessTokenIndex: number | null };

export class TokenLedger {
  readonly #accessTokenTtlSeconds: number;
  readonly #issuedSecrets: string[];
  readonly #codes = new Map<string, IssuedCode>();
  readonly #accessTokens: IssuedAccessToken[] = [];
  readonly #accessTokensByValue = new Map<string, IssuedAccessToken>();
  readonly #refreshTokens = new Map<string, IssuedRefreshToken>();
  /** Issued before this instant means refused by the API: `rejectAccessTokens()`. */
  #accessTokensRejectedBefore = -1;

  constructor(accessTokenTtlSeconds: number, issuedSecrets: string[]) {
    this.#accessTokenTtlSeconds = accessTokenTtlSeconds;
    this.#issuedSecrets = issuedSecrets;
  }

  issueCode(code: IssuedCode): string {
    const value = randomBytes(32).toString('hex');
    this.#codes.set(value, code);
    this.#issuedSecrets.push(value);
    return value;
  }

  /** Codes are single use (RFC 6749 §4.1.2): looking one up spends it, whatever happens next. */
  redeemCode(value: string): IssuedCode | undefined {
    const code = this.#codes.get(value);
    this.#codes.delete(value);
    return code;
  }

  issueRefreshToken(): IssuedRefreshToken {
    const refreshToken: IssuedRefreshToken = {
      value: randomBytes(48).toString('base64url'),
      expiresAt: Date.now() + refreshTokenLifetimeMilliseconds,
      revoked: false,
    };
    this.#refreshTokens.set(refreshToken.value, refreshToken);
    this.#issuedSecrets.push(refreshToken.value);
    return refreshToken;
  }

  issueAccessToken(refreshToken: string): IssuedAccessToken {
    const accessToken: IssuedAccessToken = {
      value: randomBytes(48).toString('base64url'),
      index: this.#accessTokens.length,
      expiresAt: Date.now() + this.#accessTokenTtlSeconds * 1000,
      refreshToken,
      revoked: false,
    };
    this.#accessTokens.push(accessToken);
    this.#accessTokensByValue.set(accessToken.value, accessToken);
    this.#issuedSecrets.push(accessToken.value);
    return accessToken;
  }

  /** `expires_in` is one second short of the lifetime, as ServiceNow answers 1799 for 1800 s. */
  get expiresIn(): number {
    return this.#accessTokenTtlSeconds - 1;
  }

  findRefreshToken(value: string): IssuedRefreshToken | undefined {
    return this.#refreshTokens.get(value);
  }

  isAlive(refreshToken: IssuedRefreshToken | undefined): refreshToken is IssuedRefreshToken {
    return (
      refreshToken !== undefined && !refreshToken.revoked && Date.now() < refreshToken.expiresAt
    );
  }

  /** Revocation ends the grant: the refresh token and every access token it produced. */
  revokeRefreshToken(refreshToken: IssuedRefreshToken): void {
    refreshToken.revoked = true;
    for (const accessToken of this.#accessTokens)
      if (accessToken.refreshToken === refreshToken.value) accessToken.revoked = true;
  }

  revokeAccessToken(value: string): boolean {
    const accessToken = this.#accessTokensByValue.get(value);
    if (accessToken !== undefined) accessToken.revoked = true;
    return accessToken !== undefined;
  }

  /** Only the refresh tokens: access tokens already out keep working until they expire. */
  revokeAllRefreshTokens(): void {
    for (const refreshToken of this.#refreshTokens.values()) refreshToken.revoked = true;
  }

  rejectAllAccessTokens(): void {
    this.#accessTokensRejectedBefore = this.#accessTokens.length;
  }

  checkBearer(authorization: string | undefined): AccessTokenVerdict {
    if (authorization === undefined) return { bearer: 'none', accessTokenIndex: null };
    const value = /^Bearer (\S+)$/i.exec(authorization)?.[1];
    const accessToken = value === undefined ? undefined : this.#accessTokensByValue.get(value);
    if (accessToken === undefined) return { bearer: 'invalid', accessTokenIndex: null };
    const valid =
      !accessToken.revoked &&
      accessToken.index >= this.#accessTokensRejectedBefore &&
      Date.now() < accessToken.expiresAt;
    return { bearer: valid ? 'valid' : 'invalid', accessTokenIndex: accessToken.index };
  }

  latestAccessToken(): string | undefined {
    return this.#accessTokens.at(-1)?.value;
  }

  latestRefreshToken(): string | undefined {
    return [...this.#refreshTokens.keys()].at(-1);
  }
}
