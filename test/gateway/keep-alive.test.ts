// Keep-alive towards the balancer in front: idle connections outlive a balancer's 60 s idle timeout, so it never reuses one being closed.
import { request, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { buildGateway } from '../../src/gateway/build-gateway.ts';
import { keepAliveTimeoutMs, serveGateway } from '../../src/gateway/http-server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

describe('keep-alive connections', () => {
  it('are announced and kept for 65 s, longer than AWS ALB and ingress-nginx keep theirs', async () => {
    const keepAlive = await new Promise<string | undefined>((resolve, reject) => {
      const outgoing = request(`${harness.url}/healthz`, { agent: false }, (response) => {
        response.resume();
        resolve(response.headers['keep-alive']?.toString());
      });
      outgoing.setHeader('connection', 'keep-alive');
      outgoing.on('error', reject);
      outgoing.end();
    });
    expect(keepAlive).toBe('timeout=65');
  });
});

describe('the time limits of a request', () => {
  it('bound its head (slowloris) but not its body, so slow uploads pass and a head that never ends does not', async () => {
    // Node derives its default headersTimeout from requestTimeout: 0 there would turn it off too.
    const served = serveGateway(buildGateway(harness.config, createLogger('silent')), {
      port: 0,
      hostname: '127.0.0.1',
    });
    await served.listening;
    try {
      const server = served.server as Server;
      expect(server.requestTimeout).toBe(0);
      expect(server.headersTimeout).toBeGreaterThan(0);
      expect(server.headersTimeout).toBeLessThanOrEqual(keepAliveTimeoutMs);
    } finally {
      await served.stop(0);
    }
  });
});
