// GET /auth/session and POST /auth/logout: who is signed in, and signing out everywhere.
import { callAuthEndpoint } from "./auth-call.js";
import { UnexpectedResponseError } from "./errors.js";
export async function readSession(context) {
    const body = await callAuthEndpoint(context, { method: 'GET', path: '/auth/session' });
    const providers = body.providers;
    if (typeof body.authenticated !== 'boolean' ||
        typeof providers !== 'object' ||
        providers === null) {
        throw new UnexpectedResponseError('GET /auth/session', 200, null);
    }
    return body;
}
/**
 * Ends the session at the gateway (tokens deleted and revoked), then, when `redirect` is not false
 * and the OpenID provider has an end-session endpoint, navigates there so the provider's own
 * sign-in session ends too (it sends the browser back to PUBLIC_URL).
 */
export async function logOut(context, options = {}) {
    const body = await callAuthEndpoint(context, { method: 'POST', path: '/auth/logout' });
    const endSessionUrl = readEndSessionUrl(body.end_session_url);
    if (endSessionUrl !== null && options.redirect !== false)
        window.location.assign(endSessionUrl);
    return { endSessionUrl };
}
/** Threat: a `javascript:` or other non-web URL would run or open something else; only http(s) is followed. */
function readEndSessionUrl(value) {
    if (value === null || value === undefined)
        return null;
    if (typeof value !== 'string')
        throw new UnexpectedResponseError('POST /auth/logout', 200, null);
    let url;
    try {
        url = new URL(value);
    }
    catch {
        throw new UnexpectedResponseError('POST /auth/logout', 200, null);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw new UnexpectedResponseError('POST /auth/logout', 200, null);
    }
    return value;
}
