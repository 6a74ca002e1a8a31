// The bare proxy baseline, run in its own process: the gateway's stack (Hono, @hono/node-server, http-proxy-middleware 4, its keep-alive agent) with a fixed bearer and no session, CSRF or header work.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { createProxyMiddleware, type Plugin } from 'http-proxy-middleware';
import { createKeepAliveAgent } from '../../src/proxy/upstream-agent.ts';
import { reportListening } from '../setup/child-ready.ts';

const upstreamUrlText = process.env.BENCH_UPSTREAM_URL;
if (upstreamUrlText === undefined) throw new Error('BENCH_UPSTREAM_URL must name the upstream');
const upstreamUrl = new URL(upstreamUrlText);

/** What the gateway does at the least: a bearer on the way out, a 502 when the upstream fails. */
const fixedBearer: Plugin = (proxyServer) => {
  proxyServer.on('proxyReq', (upstreamRequest) => {
    upstreamRequest.setHeader('authorization', 'Bearer x');
  });
  proxyServer.on('error', (_error, _incoming, outgoing) => {
    if (outgoing !== undefined && 'writeHead' in outgoing && !outgoing.headersSent)
      outgoing.writeHead(502).end();
    else outgoing?.destroy();
  });
};

const proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
  target: upstreamUrl.href,
  // The gateway's own pool settings (maxSockets 256, 32 free, LIFO), so only the session work differs.
  agent: createKeepAliveAgent(upstreamUrl),
  changeOrigin: true,
  xfwd: false,
  pathRewrite: { '^/graph': '' },
  ejectPlugins: true,
  plugins: [fixedBearer],
});

const app = new Hono<{ Bindings: HttpBindings }>();
app.all('/graph/*', async (c) => {
  await proxy(c.env.incoming, c.env.outgoing, (error?: unknown) => {
    if (error !== undefined) c.env.outgoing.destroy();
  });
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
