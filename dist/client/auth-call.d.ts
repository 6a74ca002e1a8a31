import { type Problem } from './problem.ts';
import { type GatewayContext } from './provider-fetch.ts';
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
export declare function callAuthEndpoint(context: GatewayContext, call: AuthCall): Promise<Record<string, unknown>>;
