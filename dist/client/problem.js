// Reads the gateway's application/problem+json answers (RFC 9457) without disturbing the Response.
/** The gateway's problems are a few hundred bytes; a larger body is not one of them. */
const maximumProblemBytes = 64 * 1024;
/**
 * The problem in `response`, or null when it is not a problem+json body of at most 64 KiB with a
 * string `type`. Reads a clone, so the caller can still hand `response` to the app untouched.
 */
export async function readProblem(response) {
    const mediaType = (response.headers.get('content-type') ?? '').split(';', 1)[0] ?? '';
    if (mediaType.trim().toLowerCase() !== 'application/problem+json')
        return null;
    const text = await readBoundedText(response.clone(), maximumProblemBytes);
    if (text === null)
        return null;
    let parsed;
    try {
        parsed = JSON.parse(text);
    }
    catch {
        // Not JSON after all: not a problem the client understands; the app gets the Response.
        return null;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return null;
    const members = parsed;
    return typeof members.type === 'string' ? { type: members.type, members } : null;
}
/** The body as text, or null past `limit` bytes (the rest is cancelled, never buffered). */
async function readBoundedText(response, limit) {
    if (response.body === null)
        return '';
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let bytes = 0;
    for (;;) {
        const { done, value } = await reader.read();
        if (done)
            return text + decoder.decode();
        bytes += value.byteLength;
        if (bytes > limit) {
            await reader.cancel();
            return null;
        }
        text += decoder.decode(value, { stream: true });
    }
}
/** A string member matching `format`, else null (a hostile or newer body cannot inject anything odd). */
export function stringMember(problem, name, format) {
    const value = problem.members[name];
    return typeof value === 'string' && format.test(value) ? value : null;
}
/** RFC 9110 §5.6.7 IMF-fixdate, the only date form a sender may generate. */
const httpDate = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
/**
 * `Retry-After` (RFC 9110 §10.2.3) in seconds: delay-seconds (fractions accepted, as some proxies
 * send them) or an HTTP date counted from `nowMs`; null when absent or unreadable.
 */
export function parseRetryAfter(value, nowMs = Date.now()) {
    if (value === null)
        return null;
    const trimmed = value.trim();
    if (/^\d{1,10}(\.\d{1,6})?$/.test(trimmed))
        return Number(trimmed);
    if (!httpDate.test(trimmed))
        return null;
    const dateMs = Date.parse(trimmed);
    return Number.isNaN(dateMs) ? null : Math.max(0, (dateMs - nowMs) / 1000);
}
