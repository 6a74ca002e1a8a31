// Where the gateway is, from the app's point of view: URLs of its endpoints, its origin, the credentials mode.
/** Provider ids are lowercase names (`graph`, `servicenow`): nothing that could change the path. */
export const providerFormat = /^[a-z][a-z0-9_-]{0,31}$/;
export function locateGateway(baseUrl) {
    const page = globalThis.location;
    const prefix = baseUrl.replace(/\/+$/, '');
    if (prefix === '' && page === undefined) {
        throw new TypeError('createClient: baseUrl is required where there is no page location');
    }
    const root = new URL(`${prefix}/`, page?.href);
    if (root.protocol !== 'https:' && root.protocol !== 'http:') {
        throw new TypeError('createClient: baseUrl must be an http(s) URL or a path');
    }
    const origin = root.origin;
    return {
        origin,
        credentials: page !== undefined && page.origin === origin ? 'same-origin' : 'include',
        endpoint: (path) => `${prefix}${path}`,
        absolute(pathOrUrl) {
            // The gateway answers root-relative paths (`/auth/login/graph`): they live under baseUrl.
            if (pathOrUrl.startsWith('/') && !pathOrUrl.startsWith('//')) {
                return new URL(`${prefix}${pathOrUrl}`, page?.href ?? root.href);
            }
            return new URL(pathOrUrl, root.href);
        },
    };
}
/** The caller's provider id, refused when it could rewrite the request path. */
export function checkProvider(provider) {
    if (!providerFormat.test(provider)) {
        throw new TypeError(`provider must be a provider id such as "graph", got ${JSON.stringify(provider)}`);
    }
}
