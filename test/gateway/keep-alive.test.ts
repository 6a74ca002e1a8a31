// Keep-alive towards the balancer in front: idle connections outlive a balancer's 60 s idle timeout, so it never reuses one being closed.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
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
