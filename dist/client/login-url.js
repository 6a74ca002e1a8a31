/**
 * Threat: a login URL taken from an answer (a reauth payload) that points elsewhere would send the
 * user's sign-in to a look-alike page. Only the gateway's own `/auth/login/` endpoint is opened.
 */
export function buildLoginUrl(gateway, provider, options) {
    const url = gateway.absolute(options.loginUrl ?? `/auth/login/${provider}`);
    if (!isGatewayLoginUrl(gateway, url)) {
        throw new TypeError("loginUrl must be the gateway's own /auth/login/ URL");
    }
    url.searchParams.set('mode', options.mode);
    if (options.returnTo !== undefined)
        url.searchParams.set('return_to', options.returnTo);
    if (options.prompt !== undefined)
        url.searchParams.set('prompt', options.prompt);
    if (options.loginHint !== undefined)
        url.searchParams.set('login_hint', options.loginHint);
    url.hash = '';
    return url;
}
export function isGatewayLoginUrl(gateway, url) {
    return (url.origin === gateway.origin &&
        url.username === '' &&
        url.password === '' &&
        /\/auth\/login\/[a-z][a-z0-9_-]*$/.test(url.pathname));
}
