/** A problem body: its `type` and every other member, unchecked (the caller checks what it uses). */
export interface Problem {
    readonly type: string;
    readonly members: Readonly<Record<string, unknown>>;
}
/**
 * The problem in `response`, or null when it is not a problem+json body of at most 64 KiB with a
 * string `type`. Reads a clone, so the caller can still hand `response` to the app untouched.
 */
export declare function readProblem(response: Response): Promise<Problem | null>;
/** A string member matching `format`, else null (a hostile or newer body cannot inject anything odd). */
export declare function stringMember(problem: Problem, name: string, format: RegExp): string | null;
/**
 * `Retry-After` (RFC 9110 §10.2.3) in seconds: delay-seconds (fractions accepted, as some proxies
 * send them) or an HTTP date counted from `nowMs`; null when absent or unreadable.
 */
export declare function parseRetryAfter(value: string | null, nowMs?: number): number | null;
