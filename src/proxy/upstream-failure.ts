// Classifies why an upstream exchange failed: a timeout is a 504, anything else that kept the upstream from answering is a 502.
import { GatewayError } from '../errors/gateway-error.ts';

/** The code of the gateway's own header timer (the limit `UPSTREAM_TIMEOUT_S` sets, contract §2). */
export const upstreamHeaderTimeoutCode = 'ERR_UPSTREAM_HEADER_TIMEOUT';

/**
 * Codes that mean "the upstream took too long" rather than "the upstream could not be reached":
 * the gateway's header timer, the kernel giving up on a TCP connect (`connect(2)` ETIMEDOUT), and
 * undici's connect limit (the pool's `connectTimeout`, the same UPSTREAM_TIMEOUT_S).
 */
const timeoutCodes: ReadonlySet<string> = new Set([
  upstreamHeaderTimeoutCode,
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function upstreamHeaderTimeoutError(timeoutMs: number): Error {
  return Object.assign(new Error(`no upstream response headers within ${timeoutMs} ms`), {
    code: upstreamHeaderTimeoutCode,
  });
}

/**
 * A small body the gateway reads whole before answering (links rewritten in one pass) that stopped
 * arriving for the same limit: nothing has been sent yet, so it is answered like a header timeout.
 */
export function upstreamBodyTimeoutError(timeoutMs: number): Error {
  return Object.assign(new Error(`the upstream body stopped arriving for ${timeoutMs} ms`), {
    code: upstreamHeaderTimeoutCode,
  });
}

/** A stable, loggable name for a failure: Node's `code` (ECONNREFUSED, HPE_…, CERT_…) or the error's name. */
export function failureCode(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return 'unknown';
}

/** The problem the browser gets when nothing has been written yet (contract §4: 502 or 504). */
export function toUpstreamGatewayError(error: unknown): GatewayError {
  if (timeoutCodes.has(failureCode(error))) {
    return new GatewayError(504, 'upstream_timeout', 'the upstream API did not answer in time', {
      cause: error,
    });
  }
  return new GatewayError(502, 'upstream_unreachable', 'the upstream API could not be reached', {
    cause: error,
  });
}
