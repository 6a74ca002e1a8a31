// Calls to the gateway's own /auth endpoints: JSON in and out, X-CSRF on every POST, problems as typed errors.
import { UnexpectedResponseError } from './errors.ts';
import { readProblem, type Problem } from './problem.ts';
import { throwIfUnavailable, type GatewayContext } from './provider-fetch.ts';

export interface AuthCall {
  readonly method: 'GET' | 'POST';
  /** A gateway path such as `/auth/session`. */
  readonly path: string;
  /** Sent as JSON. */
  readonly json?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Turns a problem of this endpoint into its own typed error (by throwing it); the gateway's 503s
   * and anything unexpected are handled after it.
   */
  readonly onProblem?: (problem: Problem, response: Response) => void;
}

/** The JSON object a 2xx answer carries; throws a BffError for anything else. */
export async function callAuthEndpoint(
  context: GatewayContext,
  call: AuthCall,
): Promise<Record<string, unknown>> {
  const headers = new Headers(call.headers);
  headers.set('Accept', 'application/json');
  // The gateway refuses a state-changing /auth call without it (contract §3, CSRF).
  if (call.method === 'POST') headers.set('X-CSRF', '1');
  if (call.json !== undefined) headers.set('Content-Type', 'application/json');
  const response = await context.fetch(context.gateway.endpoint(call.path), {
    method: call.method,
    headers,
    credentials: context.gateway.credentials,
    ...(call.json === undefined ? {} : { body: JSON.stringify(call.json) }),
  });
  const what = `${call.method} ${call.path}`;
  if (!response.ok) {
    const problem = await readProblem(response);
    if (problem !== null) {
      call.onProblem?.(problem, response);
      throwIfUnavailable(problem, response);
    }
    throw new UnexpectedResponseError(what, response.status, problem?.type ?? null);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new UnexpectedResponseError(what, response.status, null);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new UnexpectedResponseError(what, response.status, null);
  }
  return body as Record<string, unknown>;
}
