import type { GatewayLocation } from './gateway-location.ts';
export interface LoginUrlOptions {
    readonly mode: 'popup' | 'redirect';
    /** A login URL the gateway handed out (a reauth payload's, with a claims challenge); default the plain one. */
    readonly loginUrl?: string | undefined;
    /** A path of the app to come back to (redirect mode); the gateway refuses anything off its origin. */
    readonly returnTo?: string | undefined;
    readonly prompt?: string | undefined;
    readonly loginHint?: string | undefined;
}
/**
 * Threat: a login URL taken from an answer (a reauth payload) that points elsewhere would send the
 * user's sign-in to a look-alike page. Only the gateway's own `/auth/login/` endpoint is opened.
 */
export declare function buildLoginUrl(gateway: GatewayLocation, provider: string, options: LoginUrlOptions): URL;
export declare function isGatewayLoginUrl(gateway: GatewayLocation, url: URL): boolean;
