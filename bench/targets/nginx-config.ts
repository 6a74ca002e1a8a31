// The nginx proxy's configuration as text: one process on one core, a keep-alive pool to the upstream stand-in, the bare proxies' fixed bearer, nothing written outside its temporary prefix.

export interface NginxConfigOptions {
  /** The temporary prefix (`-p`): pid file, error log and every temp directory live under it. */
  readonly prefix: string;
  readonly listenPort: number;
  /** The upstream stand-in's origin, `http://127.0.0.1:<port>`. */
  readonly upstreamOrigin: string;
}

/**
 * Requests per connection before nginx closes it, both sides. nginx's default (1000) would make
 * wrk and the pool reconnect every 1000 requests; Node's servers and agents have no such limit, so
 * a limit here would measure handshakes the other targets never pay.
 */
const requestsPerConnection = 1_000_000;

export function nginxConfig(options: NginxConfigOptions): string {
  const { prefix, listenPort } = options;
  const upstreamHost = new URL(options.upstreamOrigin).host;
  return `# Written by bench/targets/nginx-config.ts for one benchmark run; deleted when it stops.
# The runner owns the process: no daemon, and no master, so the pid it pins and whose CPU it
# reads is the one that serves the requests.
daemon off;
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;

events {
    worker_connections 1024;
}

http {
    access_log off;
    # Debian's build points these at /var/lib/nginx: kept under the prefix so nothing outside it is touched.
    client_body_temp_path ${prefix}/client-body;
    proxy_temp_path ${prefix}/proxy;
    fastcgi_temp_path ${prefix}/fastcgi;
    uwsgi_temp_path ${prefix}/uwsgi;
    scgi_temp_path ${prefix}/scgi;

    upstream bench_upstream {
        server ${upstreamHost};
        # Idle connections kept for reuse: the bare proxies' pool size (maxSockets and maxFreeSockets 256).
        keepalive 256;
        keepalive_requests ${requestsPerConnection};
        # The gateway's agent closes an idle pooled socket after 30 s (src/proxy/upstream-agent.ts).
        keepalive_timeout 30s;
    }

    server {
        listen 127.0.0.1:${listenPort};
        # The bare proxies' servers keep an idle browser connection 120 s (serve-bare-proxy.ts).
        keepalive_timeout 120s;
        keepalive_requests ${requestsPerConnection};

        # /graph/v1.0/me reaches the upstream as /v1.0/me, as pathRewrite '^/graph' does for the bare proxies.
        location /graph/ {
            proxy_pass http://bench_upstream/;
            # HTTP/1.1 with an empty Connection header: what lets nginx reuse upstream connections.
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # changeOrigin: the upstream sees its own host, as from the bare proxies.
            proxy_set_header Host ${upstreamHost};
            # The bare proxies' fixed bearer in place of whatever the browser sent.
            proxy_set_header Authorization "Bearer x";
        }
    }
}
`;
}
