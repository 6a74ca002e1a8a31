// Calls to the gateway's own /auth endpoints: JSON in and out, X-CSRF on every POST, problems as typed errors.
import { UnexpectedResponseError } from "./errors.js";
import { readProblem } from "./problem.js";
import { throwIfUnavailable } from "./provider-fetch.js";
/** The JSON object a 2xx answer carries; throws a BffError for anything else. */
export async function callAuthEndpoint(context, call) {
    const headers = new Headers(call.headers);
    headers.set('Accept', 'application/json');
    // The gateway refuses a state-changing /auth call without it (contract §3, CSRF).
    if (call.method === 'POST')
        headers.set('X-CSRF', '1');
    if (call.json !== undefined)
        headers.set('Content-Type', 'application/json');
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
    let body;
    try {
        body = await response.json();
    }
    catch {
        throw new UnexpectedResponseError(what, response.status, null);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new UnexpectedResponseError(what, response.status, null);
    }
    return body;
}
