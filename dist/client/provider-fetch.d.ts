import { ReauthRequiredError } from './errors.ts';
import { type GatewayLocation } from './gateway-location.ts';
import { type Problem } from './problem.ts';
export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;
export interface GatewayContext {
    readonly gateway: GatewayLocation;
    readonly fetch: FetchFunction;
}
export declare const problemTypes: {
    readonly reauthRequired: "urn:bff:reauth-required";
    readonly providerUnavailable: "urn:bff:provider-unavailable";
    readonly storeUnavailable: "urn:bff:store-unavailable";
    readonly retry: "urn:bff:retry";
};
/** A body `fetch` can send twice: anything but a stream, which is consumed by the first send. */
export declare function isReplayable(body: RequestInit['body']): boolean;
/**
 * Sends `init` to `/{provider}{path}` and returns the Response as the gateway relayed it (2xx and the
 * upstream's 3xx/4xx/5xx untouched). Throws ReauthRequiredError (401 reauth) and
 * ProviderUnavailableError (the gateway's 503s). `urn:bff:retry` (contract §4: the token was renewed
 * but a streamed body could not be replayed) is answered by sending once more when that is possible.
 */
export declare function sendToProvider(context: GatewayContext, provider: string, path: string, init?: RequestInit): Promise<Response>;
/** The gateway's own 503s: its provider or its store cannot be reached; the session is kept. */
export declare function throwIfUnavailable(problem: Problem, response: Response): void;
/**
 * The reauth payload (contract §4) as a typed error. Members are checked: a `login_url` that is not
 * the gateway's login endpoint is replaced by the plain one, so no answer can point the sign-in
 * window at another site.
 */
export declare function reauthErrorOf(problem: Problem, requestedProvider: string, gateway: GatewayLocation): ReauthRequiredError;
