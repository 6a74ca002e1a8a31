// Serves a bare proxy's Hono app the same way for every engine: `/graph/*` forwarded, a random loopback port reported to the runner.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { reportListening } from '../setup/child-ready.ts';

/** `forward` writes the whole answer to `outgoing` (and resolves once it has taken the request). */
export function serveBareProxy(
  forward: (incoming: IncomingMessage, outgoing: ServerResponse) => Promise<void>,
): void {
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.all('/graph/*', async (c) => {
    await forward(c.env.incoming, c.env.outgoing);
    return RESPONSE_ALREADY_SENT;
  });
  serve(
    {
      fetch: app.fetch,
      port: 0,
      hostname: '127.0.0.1',
      serverOptions: { keepAliveTimeout: 120_000, requestTimeout: 0 },
    },
    (address: AddressInfo) => reportListening(address.port),
  );
}
