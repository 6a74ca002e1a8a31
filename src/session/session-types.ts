// The shapes of what a session holds: the signed-in user and, per provider, its tokens.
import type { ProviderId } from '../config/types.ts';

/** The user as the OpenID provider's ID token named them; never a token. */
export interface SessionUser {
  readonly sub: string;
  readonly name: string | null;
  readonly email: string | null;
  /** Entra's `login_hint` claim, sent back as `logout_hint` at logout. */
  readonly loginHint: string | null;
  /** Entra tenant id (`tid`), when the provider sent one. */
  readonly tenantId: string | null;
  /** The validated `iss` of the ID token: with `sub` and `sid`, what a back-channel logout token names. */
  readonly issuer: string | null;
  /** The `sid` claim: the user's session at the OpenID provider (OpenID Connect Back-Channel Logout §2.1). */
  readonly providerSessionId: string | null;
}

/** One provider's tokens, stored encrypted; they never leave the gateway except towards that provider. */
export interface ProviderTokens {
  readonly accessToken: string;
  readonly refreshToken: string | null;
  /** Epoch milliseconds at which the access token expires (from `expires_in`). */
  readonly expiresAtMs: number;
  readonly scopes: readonly string[];
  /** The `sub` this provider's token belongs to, when known. */
  readonly subject: string | null;
}

/** Why a refresh ended a provider's connection: reported to every later request until the next login. */
export interface StoredRefreshFailure {
  /** The provider's RFC 6749 §5.2 `error` code, when it sent one. */
  readonly providerError: string | null;
}

/** What the proxy needs for one request: one read, one decrypt. */
export interface ProxySessionView {
  readonly sessionId: string;
  readonly tokens: ProviderTokens | null;
  /**
   * The stored ciphertext of `tokens`, opaque: a refresh writes its result only while the stored
   * value is still this one (compare-and-set), so it never overwrites a newer write.
   */
  readonly version: string | null;
  readonly refreshFailure: StoredRefreshFailure | null;
}

/** What `/auth/session` shows. */
export interface SessionSnapshot {
  readonly sessionId: string;
  readonly user: SessionUser | null;
  readonly providers: ReadonlyMap<ProviderId, ProviderTokens>;
}

/** What a logout took from the store: the tokens to revoke, the user to name in the audit line. */
export interface EndedSession {
  /** The session id's digest (its store key's suffix): the audit line's reference, never the id. */
  readonly sessionDigest: string;
  readonly user: SessionUser | null;
  readonly providers: ReadonlyMap<ProviderId, ProviderTokens>;
}
