// Prometheus metrics of one gateway, in a registry of its own; flows record through GatewayMetrics and never see prom-client.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { statusClassOf, type GatewayMetrics } from './gateway-metrics.ts';

/** The metrics and the registry the metrics listener serves. */
export interface PrometheusMetrics extends GatewayMetrics {
  readonly registry: Registry;
}

/**
 * Seconds; Prometheus' default HTTP buckets, extended to 60 s because UPSTREAM_TIMEOUT_S defaults
 * to 60 and a streamed download may take that long.
 */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * A registry per gateway, never prom-client's global one: tests run several gateways in one
 * process, and a second registration of a name in one registry throws.
 */
export function createMetrics(): PrometheusMetrics {
  const registry = new Registry();
  // Process metrics (CPU, memory, event loop lag, GC, handles) under their usual unprefixed names.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({
    name: 'bff_http_requests_total',
    help: 'Requests answered by the gateway, by route group and status class.',
    labelNames: ['route_group', 'status_class'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: 'bff_http_request_duration_seconds',
    help: 'Time from a request to the end of its response (proxied bodies included).',
    labelNames: ['route_group', 'status_class'] as const,
    buckets: durationBuckets,
    registers,
  });
  const upstreamDuration = new Histogram({
    name: 'bff_upstream_duration_seconds',
    help: 'Time from forwarding a request to the upstream API response headers; status_class "error" when none came.',
    labelNames: ['provider', 'status_class'] as const,
    buckets: durationBuckets,
    registers,
  });
  const refreshes = new Counter({
    name: 'bff_refresh_attempts_total',
    help: 'Token refreshes requests needed, by provider and outcome ("joined": served by another request\'s refresh).',
    labelNames: ['provider', 'outcome'] as const,
    registers,
  });
  const reauths = new Counter({
    name: 'bff_reauth_responses_total',
    help: '401 reauth answers, by provider and reason (contract §4).',
    labelNames: ['provider', 'reason'] as const,
    registers,
  });
  const storeErrors = new Counter({
    name: 'bff_store_errors_total',
    help: 'Session store commands that failed (each answered store_unavailable).',
    registers,
  });

  // Per-request series resolved once per label set: prom-client hashes the label object on every
  // call otherwise (three times per proxied request). The label values come from fixed sets, so
  // these maps stay small (route groups × status classes, providers × status classes).
  const requestSeries = new Map<string, { count: () => void; time: (seconds: number) => void }>();
  const upstreamSeries = new Map<string, (seconds: number) => void>();

  return {
    registry,
    observeRequest(routeGroup, status, seconds) {
      const statusClass = statusClassOf(status);
      const name = `${routeGroup} ${statusClass}`;
      let series = requestSeries.get(name);
      if (series === undefined) {
        const labels = { route_group: routeGroup, status_class: statusClass };
        const counter = requests.labels(labels);
        const histogram = requestDuration.labels(labels);
        series = { count: () => counter.inc(), time: (value) => histogram.observe(value) };
        requestSeries.set(name, series);
      }
      series.count();
      series.time(seconds);
    },
    observeUpstream(provider, status, seconds) {
      const statusClass = status === null ? 'error' : statusClassOf(status);
      const name = `${provider} ${statusClass}`;
      let observe = upstreamSeries.get(name);
      if (observe === undefined) {
        const histogram = upstreamDuration.labels({ provider, status_class: statusClass });
        observe = (value) => histogram.observe(value);
        upstreamSeries.set(name, observe);
      }
      observe(seconds);
    },
    countRefresh(provider, outcome) {
      refreshes.inc({ provider, outcome });
    },
    countReauth(provider, reason) {
      reauths.inc({ provider, reason });
    },
    countStoreError() {
      storeErrors.inc();
    },
  };
}
