export interface GatewayLocation {
    /** The gateway's origin: the only origin whose `bff:login` messages and login URLs are believed. */
    readonly origin: string;
    /**
     * `same-origin` when the app runs on the gateway's origin (the usual deployment); `include` when
     * `baseUrl` names another origin, which then needs the session cookie to reach it cross-origin.
     */
    readonly credentials: RequestCredentials;
    /** `path` (starting with `/`) on the gateway, as given to fetch: relative when baseUrl is ''. */
    endpoint(path: string): string;
    /** A gateway path or absolute URL → an absolute URL (not yet checked to be the gateway's). */
    absolute(pathOrUrl: string): URL;
}
/** Provider ids are lowercase names (`graph`, `servicenow`): nothing that could change the path. */
export declare const providerFormat: RegExp;
export declare function locateGateway(baseUrl: string): GatewayLocation;
/** The caller's provider id, refused when it could rewrite the request path. */
export declare function checkProvider(provider: string): void;
