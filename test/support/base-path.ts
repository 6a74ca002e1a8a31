// Whether a request target an upstream received stays under its base path, however that upstream decodes and normalises it.

/**
 * True when `target` (path and query, as received) is `base` or under it as sent, and still is
 * once a server decodes it once or twice, reads `\` as `/`, and removes dot segments (RFC 3986
 * §5.2.4, WHATWG URL): what a Tomcat, IIS or framework behind the upstream's front door might do.
 */
export function staysUnderBasePath(target: string, base: string): boolean {
  const within = (path: string): boolean => path === base || path.startsWith(`${base}/`);
  const path = (text: string): string => (text.split('?', 1)[0] ?? '').replaceAll('\\', '/');
  const normalised = (text: string): string => new URL(text, 'http://upstream.invalid').pathname;
  const readings = [target];
  try {
    readings.push(decodeURIComponent(target));
    readings.push(decodeURIComponent(decodeURIComponent(target)));
  } catch {
    // A literal `%` left after the first decoding: the readings so far are the ones a server makes.
  }
  return readings.every((text) => within(path(text)) && within(normalised(path(text))));
}
