// Every path no gateway route owns: the SPA, from STATIC_DIR or its own server (APP_UPSTREAM_URL); registered last, gateway paths kept out.
import type { Context, Hono } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { AppForwarder } from '../../proxy/app-forwarder.ts';
import type { GatewayDependencies, GatewayEnv } from '../gateway-env.ts';
import { createStaticFiles, staticResponse, type StaticFiles } from '../static-files.ts';

/**
 * Contract §2: the paths the gateway owns. Under them the app is never asked, even where no gateway
 * route answers (`/auth/nope` stays the gateway's 404): an app page there could read a callback's
 * authorization code or stand in for the gateway's own pages.
 */
const gatewayPathRoots: ReadonlySet<string> = new Set([
  'auth',
  'graph',
  'servicenow',
  'healthz',
  'readyz',
]);

export function registerAppRoutes(app: Hono<GatewayEnv>, deps: GatewayDependencies): void {
  let handler: (c: Context<GatewayEnv>) => Promise<Response>;
  if (deps.appForwarder !== null) handler = forwardToApp(deps.appForwarder);
  else if (deps.config.staticDir !== null)
    handler = serveStaticFile(createStaticFiles(deps.config.staticDir));
  else return; // neither is set: unknown paths keep the gateway's 404
  app.all('*', async function appRoute(c) {
    if (isGatewayPath(c.env.incoming.url ?? '/')) return c.notFound();
    return handler(c);
  });
}

/**
 * Whether a raw request target falls under a gateway path, matched by whole first segment
 * (`/authors` is the app's, `/auth` and `/auth/x` are not) in every spelling a server further
 * along might normalise to one: percent-encoded (`/%61uth`), in another case, with `\` for `/`,
 * repeated slashes, dot segments or a `;` path parameter.
 */
export function isGatewayPath(requestTarget: string): boolean {
  const rawPath = requestTarget.split('?', 1)[0] ?? '';
  const spellings = [rawPath];
  try {
    spellings.push(decodeURIComponent(rawPath));
  } catch {
    // Malformed encoding: the raw spelling alone is checked; the app server refuses it or not.
  }
  return spellings.some((path) => firstSegments(path).some((first) => gatewayPathRoots.has(first)));
}

/** The first segment as written and after resolving dot segments, lowercased, `;…` dropped. */
function firstSegments(path: string): string[] {
  const written: string[] = [];
  const resolved: string[] = [];
  for (const rawSegment of path.toLowerCase().replaceAll('\\', '/').split('/')) {
    const segment = rawSegment.split(';', 1)[0] ?? '';
    if (segment === '') continue;
    written.push(segment);
    if (segment === '..') resolved.pop();
    else if (segment !== '.') resolved.push(segment);
  }
  return [written[0] ?? '', resolved[0] ?? ''];
}

/** Sidecar mode: relayed on the raw socket, no session read (no store I/O for page loads). */
function forwardToApp(forwarder: AppForwarder) {
  return async function forwardPageRequest(c: Context<GatewayEnv>): Promise<Response> {
    await forwarder.forward(c.env.incoming, c.env.outgoing);
    return RESPONSE_ALREADY_SENT;
  };
}

function serveStaticFile(files: StaticFiles) {
  return async function staticFile(c: Context<GatewayEnv>): Promise<Response> {
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      // RFC 9110 §15.5.6: a 405 names the methods the resource supports.
      c.header('Allow', 'GET, HEAD');
      throw new GatewayError(
        405,
        'method_not_allowed',
        `the ${method} method is not allowed on the app's files; use GET or HEAD`,
      );
    }
    // The raw target, not the URL parser's normalised one, so `..` and `%2e%2e` are seen as sent.
    const found = await files.find(c.env.incoming.url ?? '/');
    if (found.kind === 'invalid') {
      throw new GatewayError(400, 'invalid_path', 'the path is malformed or leaves the app folder');
    }
    if (found.kind === 'not_found') return c.notFound();
    return staticResponse(found.file, method, c.req.raw.headers);
  };
}
