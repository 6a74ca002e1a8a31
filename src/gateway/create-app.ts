// Composes the Hono app: security headers, routes, and the single point that turns errors into HTTP.
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { GatewayError } from '../errors/gateway-error.ts';
import { describeError } from '../observability/describe-error.ts';
import type { GatewayDependencies, GatewayEnv } from './gateway-env.ts';
import { toProblem } from './problem.ts';
import { countReauthAnswer, requestMetrics } from './request-metrics.ts';
import { registerAppRoutes } from './routes/app-routes.ts';
import { registerBackChannelLogoutRoute } from './routes/backchannel-logout-route.ts';
import { registerClientRoutes } from './routes/client-routes.ts';
import { registerHandoffRoutes } from './routes/handoff-routes.ts';
import { registerHealthRoutes } from './routes/health-routes.ts';
import { registerLoginRoutes } from './routes/login-routes.ts';
import { registerLogoutRoutes } from './routes/logout-routes.ts';
import { registerProxyRoutes } from './routes/proxy-routes.ts';
import { registerSessionRoute } from './routes/session-route.ts';
import { registerSsoRoute } from './routes/sso-route.ts';
import { securityHeaders } from './security-headers.ts';

export function createApp(deps: GatewayDependencies): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  // First: its timer covers every other middleware and handler.
  app.use('*', requestMetrics(deps.metrics));
  app.use('*', securityHeaders({ https: deps.config.secureCookies }));
  registerHealthRoutes(app, deps);
  registerLoginRoutes(app, deps);
  registerSessionRoute(app, deps);
  registerLogoutRoutes(app, deps);
  registerBackChannelLogoutRoute(app, deps);
  registerHandoffRoutes(app, deps);
  registerSsoRoute(app, deps);
  registerClientRoutes(app, deps);
  registerProxyRoutes(app, deps);
  // Last: only what no gateway route answered reaches the app.
  registerAppRoutes(app, deps);

  app.notFound(() => problemResponse(new GatewayError(404, 'not_found', 'no such endpoint')));
  app.onError(function handleError(error, c) {
    countReauthAnswer(deps.metrics, error);
    if (!(error instanceof GatewayError) || error.status >= 500) {
      // Name and code only: a message or cause may quote a provider's response body.
      const level = error instanceof GatewayError ? 'warn' : 'error';
      deps.logger[level](
        {
          method: c.req.method,
          path: c.req.path,
          error: describeError(error),
          cause: describeError(error.cause),
        },
        'request failed',
      );
    }
    // Through the context: a cookie the route already expired (a refused callback's login
    // cookie, a failed logout's session cookie) is expired in the error answer too.
    const problem = toProblem(error);
    return c.newResponse(problem.body, problem.status as ContentfulStatusCode, problem.headers);
  });
  return app;
}

function problemResponse(error: unknown): Response {
  const problem = toProblem(error);
  return new Response(problem.body, { status: problem.status, headers: problem.headers });
}
