// Reads a continuous-access-evaluation claims challenge from an upstream's WWW-Authenticate, tolerantly.
import { decodeClaimsChallenge } from './claims-request.ts';

/** What an `insufficient_claims` challenge asks for. */
export interface ClaimsChallenge {
  /** The challenge's base64 `claims` value as sent, checked to decode to a claims request; null when absent or unusable. */
  readonly encodedClaims: string | null;
}

// A parameter is recognised only where one can start (after the scheme's space or a comma), so a
// `?claims=` inside an unquoted URL value is never taken for one.
const insufficientClaimsPattern =
  /(?:^|[\s,])error\s*=\s*(?:"insufficient_claims"|insufficient_claims(?=[\s,]|$))/i;
const claimsPattern = /(?:^|[\s,])claims\s*=\s*(?:"([^"]*)"|([^\s,"]+))/i;

/**
 * Graph's 401 for a token continuous access evaluation revoked (RFC 6750 §3 syntax):
 * `Bearer realm="", authorization_uri="…", error="insufficient_claims", claims="<base64 JSON>"`.
 * A real capture had `authorization_uri` unquoted — not RFC 9110 §11.2 syntax, so a strict parser
 * (oauth4webapi's) rejects the whole header — hence this scan for the two parameters that matter.
 * Null when the header carries no `insufficient_claims` error: an ordinary 401.
 * @see https://learn.microsoft.com/entra/identity-platform/claims-challenge
 */
export function readClaimsChallenge(wwwAuthenticate: string | null): ClaimsChallenge | null {
  if (wwwAuthenticate === null || !insufficientClaimsPattern.test(wwwAuthenticate)) return null;
  const match = claimsPattern.exec(wwwAuthenticate);
  const encoded = match?.[1] ?? match?.[2] ?? null;
  return {
    encodedClaims: encoded !== null && decodeClaimsChallenge(encoded) !== null ? encoded : null,
  };
}

/** The reauth payload's `login_url` for a challenge: its claims travel to the login endpoint (contract §6). */
export function claimsChallengeLoginUrl(provider: string, challenge: ClaimsChallenge): string {
  const base = `/auth/login/${provider}`;
  return challenge.encodedClaims === null
    ? base
    : `${base}?claims=${encodeURIComponent(challenge.encodedClaims)}`;
}
