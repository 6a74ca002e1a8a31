// The METRICS_PORT listener: a plain node:http server answering GET /metrics and nothing else, apart from the gateway's own port.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../observability/logger.ts';
import type { PrometheusMetrics } from '../observability/metrics.ts';

export interface MetricsServer {
  /** Resolves with the bound address once the server listens; rejects when it cannot bind. */
  readonly listening: Promise<AddressInfo>;
  /** Stops listening and cuts any scrape in flight (a scrape is retried by Prometheus). */
  close(): Promise<void>;
}

/** A scraper sends a short GET; anything slower is not one. */
const requestTimeoutMs = 10_000;
/** Only a request line and a few headers are expected. */
const maximumHeaderBytes = 8 * 1024;

export function startMetricsServer(options: {
  readonly metrics: PrometheusMetrics;
  readonly port: number;
  readonly host: string;
  readonly logger: Logger;
}): MetricsServer {
  const { metrics, logger } = options;
  const server = createServer(
    { requestTimeout: requestTimeoutMs, maxHeaderSize: maximumHeaderBytes },
    (request, response) => {
      serveScrape(request, response, metrics).catch((error: unknown) => {
        logger.warn({ error: { name: (error as Error).name } }, 'metrics scrape failed');
        if (!response.headersSent) answer(response, 500, 'metrics collection failed\n');
        else response.destroy();
      });
    },
  );
  const listening = new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
  let closed: Promise<void> | null = null;
  return {
    listening,
    close() {
      closed ??= new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** `/metrics` (any query ignored) for GET and HEAD; every other path 404, every other method 405. */
async function serveScrape(
  request: IncomingMessage,
  response: ServerResponse,
  metrics: PrometheusMetrics,
): Promise<void> {
  const path = (request.url ?? '').split('?', 1)[0];
  if (path !== '/metrics') {
    answer(response, 404, 'not found: the metrics listener serves GET /metrics only\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    answer(response, 405, 'method not allowed: use GET\n');
    return;
  }
  const body = await metrics.registry.metrics();
  response.writeHead(200, {
    'content-type': metrics.registry.contentType,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function answer(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  response.end(text);
}
