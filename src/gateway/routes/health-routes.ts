// GET /healthz (the process runs) and GET /readyz (the store answers): for orchestrators and load balancers.
import type { Hono } from 'hono';
import type { GatewayDependencies, GatewayEnv } from '../gateway-env.ts';

export function registerHealthRoutes(app: Hono<GatewayEnv>, deps: GatewayDependencies): void {
  app.get('/healthz', function liveness(c) {
    c.header('Cache-Control', 'no-store');
    return c.json({ status: 'ok' });
  });
  app.get('/readyz', async function readiness(c) {
    c.header('Cache-Control', 'no-store');
    try {
      await deps.store.ping();
      return c.json({ status: 'ready' });
    } catch {
      return c.json({ status: 'store_unavailable' }, 503);
    }
  });
}
