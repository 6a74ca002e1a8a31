// Parses and matches GRAPH_ROUTES / SERVICENOW_ROUTES: least privilege per upstream route.
import type { RouteRule } from './types.ts';

const methodPattern = /^[A-Z]+$/;

/**
 * Parses `GET /v1.0/me; GET|POST /v1.0/me/messages/**`. `*` matches one path segment, `**` any
 * number of segments, `*` as the method any method. Throws with a message naming the bad entry.
 */
export function parseRouteAllowList(text: string): RouteRule[] {
  const entries = text
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('must list at least one "METHODS /path" entry');
  return entries.map(parseEntry);
}

function parseEntry(entry: string): RouteRule {
  const parts = entry.split(/\s+/);
  if (parts.length !== 2) throw new Error(`entry "${entry}" must be "METHODS /path-glob"`);
  const [methodText = '', pathGlob = ''] = parts;
  let methods: Set<string> | null = null;
  if (methodText !== '*') {
    methods = new Set(methodText.split('|').map((method) => method.toUpperCase()));
    for (const method of methods) {
      if (!methodPattern.test(method)) throw new Error(`entry "${entry}" has a bad method`);
    }
  }
  if (!pathGlob.startsWith('/')) throw new Error(`entry "${entry}": the path must start with "/"`);
  return { source: entry, methods, pattern: compilePathGlob(pathGlob) };
}

/** `**` → any number of segments (including none), `*` → exactly one non-empty segment. */
function compilePathGlob(glob: string): RegExp {
  const segments = glob.slice(1).split('/');
  let source = '^';
  for (const segment of segments) {
    if (segment === '**') {
      source += '(?:/[^/]*)*';
    } else {
      source +=
        '/' +
        segment
          .split('*')
          .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]+');
    }
  }
  return new RegExp(source + '/?$');
}

/** Whether `method path` is allowed; `path` is the normalised upstream path (`/v1.0/me`). */
export function isRouteAllowed(rules: readonly RouteRule[], method: string, path: string): boolean {
  for (const rule of rules) {
    if (rule.methods !== null && !rule.methods.has(method)) continue;
    if (rule.pattern.test(path)) return true;
  }
  return false;
}
