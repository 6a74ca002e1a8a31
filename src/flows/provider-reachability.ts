// Tells "the authorization server did not answer" from "it answered no": an outage keeps tokens, a verdict does not.
import * as oauth from 'oauth4webapi';

/** A network failure (fetch's TypeError) or the PROVIDER_TIMEOUT_S bound: no answer at all. */
export function isUnreachable(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'))
  );
}

/** A JWKS that could not be fetched (no answer, or a 5xx oauth4webapi reports as not conform): an outage, not a forged token. */
export function isKeySetOutage(error: unknown): boolean {
  return (
    isUnreachable(error) || (error as { code?: unknown }).code === oauth.RESPONSE_IS_NOT_CONFORM
  );
}
