# The gateway's container image. Stages: `deps` (production node_modules), `dev-deps` (all of
# them, for the demo), `demo` (the demo stand-ins, for docker-compose.yml), and `runtime`, the last
# stage and so the default target: what an operator deploys. No build step: Node 24 strips the
# TypeScript types of src/ when it loads them. test/deploy/container-image.test.ts parses this file
# and replays the deps and runtime stages without Docker, so keep to one instruction per line.
# Pinned by tag; pin by digest (node:24-slim@sha256:…) in a registry you control for reproducibility.

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script, and none gets to run one at build time.
RUN npm ci --omit=dev --ignore-scripts

FROM node:24-slim AS dev-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts

# The demo stand-ins (OpenID provider, ServiceNow, Graph, demo SPA) with fixed demo credentials:
# never deploy this target.
FROM node:24-slim AS demo
WORKDIR /app
COPY package.json ./
COPY --from=dev-deps /app/node_modules ./node_modules
COPY src ./src
COPY test/support ./test/support
COPY demo ./demo
USER node
EXPOSE 9001 9002 9003 9004
CMD ["node", "demo/main.ts", "--stand-ins-only"]

FROM node:24-slim AS runtime
# Production refuses ALLOW_INSECURE_HTTP=true and the in-memory store (REDIS_URL is required).
ENV NODE_ENV=production
WORKDIR /app
# Owned by root, run as `node` (uid 1000): the process cannot change its own code, and it writes
# nothing to disk (logs go to stdout), so the root filesystem can be mounted read-only.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY src ./src
# The browser client module (/auth/client.js), compiled from src/client and committed.
COPY dist/client ./dist/client
# Numeric, so that Kubernetes' runAsNonRoot can verify it without a passwd lookup.
USER 1000:1000
EXPOSE 8080
# slim has no curl: node itself asks /healthz on the port the gateway listens on.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The gateway drains in-flight requests for up to 10 s on SIGTERM, then exits 0.
STOPSIGNAL SIGTERM
# node directly, never `npm start`: npm would stand between SIGTERM and the gateway, and it writes
# its logs under ~/.npm, which a read-only root filesystem forbids.
CMD ["node", "src/main.ts"]
