// The bare proxy baseline, run in its own process: the gateway's stack (Hono, @hono/node-server, http-proxy-middleware 4, its keep-alive agent) with a fixed bearer and no session, CSRF or header work.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createProxyMiddleware, type Plugin } from 'http-proxy-middleware';
import { createKeepAliveAgent } from '../../src/proxy/upstream-agent.ts';
import { serveBareProxy } from './serve-bare-proxy.ts';

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
  // The gateway's own pool settings (maxSockets 256, as many free, LIFO), so only the session work differs.
  agent: createKeepAliveAgent(upstreamUrl),
  changeOrigin: true,
  xfwd: false,
  pathRewrite: { '^/graph': '' },
  ejectPlugins: true,
  plugins: [fixedBearer],
});

serveBareProxy(async (incoming, outgoing) => {
  await proxy(incoming, outgoing, (error?: unknown) => {
    if (error !== undefined) outgoing.destroy();
  });
});
