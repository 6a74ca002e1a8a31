// Slow browsers reading a large download through the gateway: the upstream is held back (backpressure) instead of the gateway buffering, and its connection closes when they abort.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { startGatewayHarness } from '../../test/support/gateway-harness.ts';
import { startLoopbackServer } from '../../test/support/loopback-server.ts';
import { TestBrowser } from '../../test/support/test-browser.ts';
import {
  mebibyte,
  sampleRss,
  sessionHeaders,
  sleep,
  timeUntil,
  toMebibytes,
  watchForCrashes,
} from './measure.ts';

export interface SlowDownloadOptions {
  /** Size of the download the upstream offers (bytes). */
  readonly sizeBytes: number;
  /** Browsers downloading at once, each at `bytesPerSecond`. */
  readonly readers: number;
  readonly bytesPerSecond: number;
  /** After this long each browser aborts (closes its connection). */
  readonly readForMs: number;
}

export interface SlowDownloadResult {
  readonly options: SlowDownloadOptions;
  /** What the browsers read, and what the upstream had produced, when they aborted (MiB, all readers). */
  readonly consumedMb: number;
  readonly producedMb: number;
  /** The most bytes produced but not yet read, of any one download: socket buffers and stream queues. */
  readonly maxHeldPerDownloadMb: number;
  /** Peak RSS of this process (gateway, upstream, browsers) over its baseline while they read. */
  readonly rssGrowthMb: number;
  /** Abort → the upstream's response (and connection) closed, for the slowest of the readers. */
  readonly upstreamClosedAfterAbortMs: number;
  /** Upstream connections still open once every reader aborted and they were closed. */
  readonly upstreamConnectionsLeft: number;
  /** One browser reading the whole download at full speed, for comparison. */
  readonly fullSpeed: {
    readonly mb: number;
    readonly seconds: number;
    readonly rssGrowthMb: number;
  };
  readonly crashes: number;
}

interface Download {
  produced: number;
  closed: boolean;
  closedAt: number;
}

/** The upstream: `sizeBytes` of the same 64 KiB chunk, produced only as fast as it is taken. */
async function startLargeUpstream(sizeBytes: number) {
  const loopback = await startLoopbackServer();
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const downloads: Download[] = [];
  const open = new Set<Socket>();
  loopback.server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  loopback.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    const download: Download = { produced: 0, closed: false, closedAt: 0 };
    downloads.push(download);
    const body = new Readable({
      read() {
        const size = Math.min(chunk.length, sizeBytes - download.produced);
        download.produced += size;
        this.push(size === 0 ? null : chunk.subarray(0, size));
      },
    });
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(sizeBytes),
    });
    response.once('close', () => {
      download.closed = true;
      download.closedAt = performance.now();
      body.destroy();
    });
    body.pipe(response);
  });
  return {
    origin: loopback.origin,
    downloads,
    openConnections: () => open.size,
    close: loopback.close,
  };
}

/** A browser reading at most `bytesPerSecond` (paused between 100 ms slices); resolves its count when stopped. */
function slowReader(url: string, headers: Record<string, string>, bytesPerSecond: number) {
  let consumed = 0;
  const request = httpRequest(url, { headers, agent: false });
  request.on('error', () => undefined);
  const slice = bytesPerSecond / 10;
  let sliceStartedAt = performance.now();
  let sliceBytes = 0;
  request.on('response', (response: IncomingMessage) => {
    response.on('error', () => undefined);
    response.on('data', (chunk: Buffer) => {
      consumed += chunk.length;
      sliceBytes += chunk.length;
      if (sliceBytes < slice) return;
      response.pause();
      const wait = Math.max(0, sliceStartedAt + 100 - performance.now());
      setTimeout(() => {
        sliceStartedAt = performance.now();
        sliceBytes = 0;
        response.resume();
      }, wait);
    });
  });
  request.end();
  return {
    consumed: () => consumed,
    abort: () => request.destroy(),
  };
}

async function fullSpeedDownload(url: string, headers: Record<string, string>) {
  const rss = sampleRss();
  const startedAt = performance.now();
  const response = await fetch(url, { headers });
  let bytes = 0;
  for await (const chunk of response.body ?? []) bytes += (chunk as Uint8Array).length;
  const memory = rss.stop();
  return {
    mb: toMebibytes(bytes),
    seconds: Math.round((performance.now() - startedAt) / 100) / 10,
    rssGrowthMb: Math.round((memory.peakMb - memory.baselineMb) * 10) / 10,
  };
}

export async function runSlowDownload(options: SlowDownloadOptions): Promise<SlowDownloadResult> {
  const upstream = await startLargeUpstream(options.sizeBytes);
  const harness = await startGatewayHarness({
    LOG_LEVEL: 'error',
    GRAPH_API_URL: upstream.origin,
    GRAPH_ROUTES: 'GET /v1.0/**',
  });
  const crashes = watchForCrashes();
  try {
    const browser = new TestBrowser();
    const login = await harness.login(browser);
    if (login.status !== 302) throw new Error(`login failed with ${login.status}`);
    const headers = sessionHeaders(browser);
    const url = `${harness.url}/graph/v1.0/me/drive/items/1/content`;
    const rss = sampleRss();
    const readers = Array.from({ length: options.readers }, () =>
      slowReader(url, headers, options.bytesPerSecond),
    );
    let maxHeld = 0;
    const readUntil = performance.now() + options.readForMs;
    while (performance.now() < readUntil) {
      await sleep(50);
      upstream.downloads.forEach((download, index) => {
        maxHeld = Math.max(maxHeld, download.produced - (readers[index]?.consumed() ?? 0));
      });
    }
    const memory = rss.stop();
    const consumed = readers.reduce((sum, reader) => sum + reader.consumed(), 0);
    const produced = upstream.downloads.reduce((sum, download) => sum + download.produced, 0);
    const abortedAt = performance.now();
    for (const reader of readers) reader.abort();
    await timeUntil(() => upstream.downloads.every((download) => download.closed), 10_000);
    const lastClosedAt = Math.max(...upstream.downloads.map((download) => download.closedAt));
    await timeUntil(() => upstream.openConnections() === 0, 5_000).catch(() => undefined);
    const upstreamConnectionsLeft = upstream.openConnections();
    const fullSpeed = await fullSpeedDownload(url, headers);
    return {
      options,
      consumedMb: toMebibytes(consumed),
      producedMb: toMebibytes(produced),
      maxHeldPerDownloadMb: toMebibytes(maxHeld),
      rssGrowthMb: Math.round((memory.peakMb - memory.baselineMb) * 10) / 10,
      upstreamClosedAfterAbortMs: Math.round((lastClosedAt - abortedAt) * 10) / 10,
      upstreamConnectionsLeft,
      fullSpeed,
      crashes: crashes.stop(),
    };
  } finally {
    crashes.stop();
    await harness.close();
    await upstream.close();
  }
}

export { mebibyte };
