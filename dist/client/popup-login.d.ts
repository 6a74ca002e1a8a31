export interface PopupSignIn {
    readonly provider: string;
    readonly url: URL;
}
/**
 * One pending popup per provider (a second `signIn` joins the first), and a count of successful
 * sign-ins per provider, so a request sent before the last sign-in knows it may simply retry.
 */
export declare class PopupLogins {
    #private;
    constructor(gatewayOrigin: string);
    generation(provider: string): number;
    /** Resolves once the popup reports `ok: true`; rejects with PopupBlocked/LoginCancelled/LoginFailed. */
    signIn({ provider, url }: PopupSignIn): Promise<void>;
}
type LoginMessage = {
    readonly ok: true;
} | {
    readonly ok: false;
    readonly error: string;
};
/** `{ type: 'bff:login', provider, ok, error? }` from src/gateway/popup-page.ts, else null (ignored). */
export declare function readLoginMessage(data: unknown, provider: string): LoginMessage | null;
export {};
