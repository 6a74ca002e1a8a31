// The METRICS_PORT listener (contract §1): started and stopped with startGateway on HOST:METRICS_PORT, GET /metrics only, never on the main port.
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { startGateway, type RunningGateway } from '../../src/gateway/start-gateway.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { sampleValue, scrapeText } from '../support/prometheus-text.ts';
import { freePort } from '../support/free-port.ts';

/** No stand-in is needed: discovery happens at the first login, and no test here logs in. */
const environment = (extra: Record<string, string>) => ({
  PORT: '0',
  HOST: '127.0.0.1',
  PUBLIC_URL: 'http://localhost:8080',
  SESSION_SECRET: 'test-session-secret-0123456789-abcdefghij',
  ALLOW_INSECURE_HTTP: 'true',
  GRAPH_CLIENT_ID: 'metrics-listener-client',
  GRAPH_CLIENT_SECRET: 'metrics-listener-client-secret',
  GRAPH_ISSUER: 'http://127.0.0.1:9/tenant/v2.0',
  ...extra,
});

async function statusOf(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response;
}

async function withGateway(
  extra: Record<string, string>,
  use: (running: RunningGateway, logs: readonly string[]) => Promise<void> | void,
): Promise<RunningGateway> {
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
  const running = await startGateway(loadConfig(environment(extra)), logger);
  try {
    await use(running, logs);
  } finally {
    await running.stop(0);
  }
  return running;
}

describe('startGateway with METRICS_PORT', () => {
  it('serves /metrics on HOST:METRICS_PORT while the gateway runs, and stops it with the gateway', async () => {
    const metricsPort = await freePort();
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const running = await withGateway(
      { METRICS_PORT: String(metricsPort) },
      async (started, logs) => {
        expect(started.metricsAddress).toMatchObject({ address: '127.0.0.1', port: metricsPort });
        expect(logs.some((line) => line.includes('"msg":"metrics listening"'))).toBe(true);
        const gatewayUrl = `http://127.0.0.1:${started.address.port}`;
        expect((await statusOf(`${gatewayUrl}/healthz`)).status).toBe(200);
        const text = await scrapeText(metricsUrl);
        expect(
          sampleValue(text, 'bff_http_requests_total', {
            route_group: 'health',
            status_class: '2xx',
          }),
        ).toBe(1);
      },
    );
    await expect(fetch(metricsUrl)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${running.address.port}/healthz`)).rejects.toThrow();
  });

  it('answers GET /metrics in the Prometheus format, 404 to any other path and 405 to other methods', async () => {
    const metricsPort = await freePort();
    await withGateway({ METRICS_PORT: String(metricsPort) }, async () => {
      const base = `http://127.0.0.1:${metricsPort}`;
      const response = await fetch(`${base}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const text = await response.text();
      for (const name of [
        'bff_http_requests_total',
        'bff_http_request_duration_seconds',
        'bff_upstream_duration_seconds',
        'bff_refresh_attempts_total',
        'bff_reauth_responses_total',
        'bff_store_errors_total',
      ])
        expect(text).toContain(`# TYPE ${name} `);
      expect(text).toContain('process_cpu_user_seconds_total'); // default process metrics
      for (const path of ['/', '/healthz', '/readyz', '/metrics/x', '/auth/session'])
        expect((await statusOf(`${base}${path}`)).status, path).toBe(404);
      const posted = await statusOf(`${base}/metrics`, { method: 'POST' });
      expect(posted.status).toBe(405);
      expect(posted.headers.get('allow')).toBe('GET, HEAD');
    });
  });

  it('keeps the main port answer to /metrics: the 404 problem, with no metric in it', async () => {
    await withGateway({ METRICS_PORT: String(await freePort()) }, async (started) => {
      const response = await fetch(`http://127.0.0.1:${started.address.port}/metrics`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.text()).not.toContain('bff_');
    });
  });

  it('opens no metrics listener when METRICS_PORT is unset', async () => {
    await withGateway({}, (started, logs) => {
      expect(started.metricsAddress).toBeNull();
      expect(logs.some((line) => line.includes('metrics listening'))).toBe(false);
    });
  });

  it('fails the start, and frees the main port, when METRICS_PORT cannot be bound', async () => {
    const squatter = createServer().listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const taken = (squatter.address() as { port: number }).port;
    const mainPort = await freePort();
    try {
      await expect(
        startGateway(
          loadConfig(environment({ PORT: String(mainPort), METRICS_PORT: String(taken) })),
          createLogger('silent'),
        ),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
      await expect(fetch(`http://127.0.0.1:${mainPort}/healthz`)).rejects.toThrow();
    } finally {
      squatter.close();
    }
  });
});
