// GET /healthz (the process runs) and GET /readyz (the store answers): for orchestrators and load balancers.
import type { Hono } from 'hono';
import type { GatewayDependencies, GatewayEnv } from '../gateway-env.ts';

/**
 * How long /readyz waits for the store's ping: half the store's command timeout (2 s), so a
 * stalled Redis is reported before requests would time out and slow probes do not pile up; not
 * shorter, because a Redis merely slowed by load (every replica at once) must not take every pod
 * out of its Service. A disconnected Redis fails at once (no offline queue). Probes should allow
 * 2 s (docs/DEPLOYMENT.md).
 */
export const readinessTimeoutMs = 1_000;

/** Resolves true when the store answered within `timeoutMs`, false when it failed or took longer. */
async function storeAnswers(ping: () => Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  // The ping that loses the race still settles later (its own command timeout): it is caught
  // here, once, so its rejection is never unhandled.
  const answered = ping().then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(app: Hono<GatewayEnv>, deps: GatewayDependencies): void {
  app.get('/healthz', function liveness(c) {
    c.header('Cache-Control', 'no-store');
    return c.json({ status: 'ok' });
  });
  app.get('/readyz', async function readiness(c) {
    c.header('Cache-Control', 'no-store');
    if (await storeAnswers(() => deps.store.ping(), readinessTimeoutMs)) {
      return c.json({ status: 'ready' });
    }
    return c.json({ status: 'store_unavailable' }, 503);
  });
}
