// The OpenID Connect `claims` request parameter as Entra uses it: declared client capabilities merged with a claims challenge.

/** A decoded claims request (OpenID Connect Core §5.5): members such as `access_token`, `id_token`. */
export type ClaimsRequest = Readonly<Record<string, unknown>>;

/**
 * A claims challenge travels from an upstream's `WWW-Authenticate` through the SPA's `login_url` to
 * the authorization request: hostile all the way, so it is bounded. Entra's are under 300 characters.
 */
export const maximumEncodedClaimsLength = 4096;

// Base64 in either alphabet (Graph sends the standard one; a URL-safe copy is the same bytes), padding optional.
const base64Pattern = /^[A-Za-z0-9+/_-]+={0,2}$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The claims request a challenge's base64 value names, or null when it is not one: too long, not
 * base64, not UTF-8, not JSON, or not an object of objects (`{"access_token":{"nbf":{…}}}`).
 */
export function decodeClaimsChallenge(encoded: string): ClaimsRequest | null {
  if (encoded.length === 0 || encoded.length > maximumEncodedClaimsLength) return null;
  if (!base64Pattern.test(encoded)) return null;
  let decoded: unknown;
  try {
    const bytes = Buffer.from(encoded.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
    decoded = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return null; // not UTF-8 or not JSON: not a claims request (the value is never echoed)
  }
  if (!isPlainObject(decoded)) return null;
  if (!Object.values(decoded).every(isPlainObject)) return null;
  return decoded;
}

/**
 * The `claims` parameter of an authorization or refresh request: the client capabilities (Entra's
 * `{"access_token":{"xms_cc":{"values":["cp1"]}}}`, which tells Graph this client handles claims
 * challenges) merged into the challenge's claims, or null when there is neither.
 * @see https://learn.microsoft.com/entra/identity-platform/claims-challenge
 */
export function claimsParameter(
  capabilities: readonly string[],
  challenge: ClaimsRequest | null,
): string | null {
  const declared: ClaimsRequest | null =
    capabilities.length === 0 ? null : { access_token: { xms_cc: { values: [...capabilities] } } };
  if (declared === null && challenge === null) return null;
  return JSON.stringify(merge(challenge ?? {}, declared ?? {}));
}

/** Objects merge member by member, arrays keep each distinct value once, anything else: `addition` wins. */
function merge(base: unknown, addition: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(addition)) {
    const values: unknown[] = Array.from(base as unknown[]);
    for (const value of addition as unknown[]) if (!values.includes(value)) values.push(value);
    return values;
  }
  if (isPlainObject(base) && isPlainObject(addition)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [name, value] of Object.entries(addition)) {
      merged[name] = Object.hasOwn(merged, name) ? merge(merged[name], value) : value;
    }
    return merged;
  }
  return addition;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
