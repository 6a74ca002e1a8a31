import type { GatewayContext } from './provider-fetch.ts';
import type { LogoutOptions, LogoutResult, SessionInfo } from './types.ts';
export declare function readSession(context: GatewayContext): Promise<SessionInfo>;
/**
 * Ends the session at the gateway (tokens deleted and revoked), then, when `redirect` is not false
 * and the OpenID provider has an end-session endpoint, navigates there so the provider's own
 * sign-in session ends too (it sends the browser back to PUBLIC_URL).
 */
export declare function logOut(context: GatewayContext, options?: LogoutOptions): Promise<LogoutResult>;
