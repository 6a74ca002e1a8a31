// One call through the gateway's proxy: `X-CSRF: 1` added, the gateway's own problems turned into typed errors.
import { ProviderUnavailableError, ReauthRequiredError } from "./errors.js";
import { checkProvider, providerFormat } from "./gateway-location.js";
import { isGatewayLoginUrl } from "./login-url.js";
import { parseRetryAfter, readProblem, stringMember } from "./problem.js";
export const problemTypes = {
    reauthRequired: 'urn:bff:reauth-required',
    providerUnavailable: 'urn:bff:provider-unavailable',
    storeUnavailable: 'urn:bff:store-unavailable',
    retry: 'urn:bff:retry',
};
/** A body `fetch` can send twice: anything but a stream, which is consumed by the first send. */
export function isReplayable(body) {
    return !(typeof ReadableStream !== 'undefined' && body instanceof ReadableStream);
}
/**
 * Sends `init` to `/{provider}{path}` and returns the Response as the gateway relayed it (2xx and the
 * upstream's 3xx/4xx/5xx untouched). Throws ReauthRequiredError (401 reauth) and
 * ProviderUnavailableError (the gateway's 503s). `urn:bff:retry` (contract §4: the token was renewed
 * but a streamed body could not be replayed) is answered by sending once more when that is possible.
 */
export async function sendToProvider(context, provider, path, init = {}) {
    checkProvider(provider);
    if (!path.startsWith('/') || path.startsWith('//')) {
        throw new TypeError('path must start with a single "/", e.g. "/v1.0/me"');
    }
    const url = context.gateway.endpoint(`/${provider}${path}`);
    const first = await sendOnce(context, url, provider, init);
    if (first !== 'retry')
        return first;
    if (isReplayable(init.body)) {
        const second = await sendOnce(context, url, provider, init);
        if (second !== 'retry')
            return second;
    }
    throw new ProviderUnavailableError(problemTypes.retry, 0);
}
async function sendOnce(context, url, provider, init) {
    // The caller's headers are kept; X-CSRF: 1 is what the gateway requires of every proxied call
    // (a header a cross-site form or a simple request cannot carry).
    const headers = new Headers(init.headers);
    headers.set('X-CSRF', '1');
    const response = await context.fetch(url, {
        ...init,
        headers,
        credentials: init.credentials ?? context.gateway.credentials,
    });
    // Only the statuses the gateway uses for these problems are inspected; everything else streams on.
    if (response.status !== 401 && response.status !== 503)
        return response;
    const problem = await readProblem(response);
    if (problem === null)
        return response;
    if (problem.type === problemTypes.reauthRequired) {
        throw reauthErrorOf(problem, provider, context.gateway);
    }
    if (problem.type === problemTypes.retry)
        return 'retry';
    throwIfUnavailable(problem, response);
    return response;
}
/** The gateway's own 503s: its provider or its store cannot be reached; the session is kept. */
export function throwIfUnavailable(problem, response) {
    if (response.status === 503 &&
        (problem.type === problemTypes.providerUnavailable ||
            problem.type === problemTypes.storeUnavailable)) {
        throw new ProviderUnavailableError(problem.type, parseRetryAfter(response.headers.get('retry-after')));
    }
}
/**
 * The reauth payload (contract §4) as a typed error. Members are checked: a `login_url` that is not
 * the gateway's login endpoint is replaced by the plain one, so no answer can point the sign-in
 * window at another site.
 */
export function reauthErrorOf(problem, requestedProvider, gateway) {
    const provider = stringMember(problem, 'provider', providerFormat) ?? requestedProvider;
    const reason = stringMember(problem, 'reason', /^[a-z_]{1,64}$/) ?? 'unknown';
    const providerError = stringMember(problem, 'provider_error', /^[A-Za-z0-9_.:-]{1,128}$/);
    const fallback = gateway.absolute(`/auth/login/${provider}`);
    let loginUrl = fallback;
    const offered = stringMember(problem, 'login_url', /^\/[^/\\]/);
    if (offered !== null) {
        const candidate = gateway.absolute(offered);
        if (isGatewayLoginUrl(gateway, candidate))
            loginUrl = candidate;
    }
    return new ReauthRequiredError({ provider, reason, loginUrl: loginUrl.href, providerError });
}
