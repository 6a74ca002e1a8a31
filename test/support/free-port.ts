// Loopback ports for test servers, chosen below the kernel's ephemeral range so no outgoing connection can take one.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/**
 * A port merely found free with `listen(0)` lies in the ephemeral range, where the kernel also
 * picks the local port of every outgoing connection: with many test files connecting at once,
 * one of those could take it before its server listens (EADDRINUSE, seen in CI). Ports below
 * that range are only ever taken by an explicit `listen`, so a port checked free here stays free
 * unless another test picks the same one at random (one in twelve thousand).
 */
const ephemeralLow = ((): number => {
  try {
    const low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'), 10);
    return Number.isInteger(low) && low > 2048 ? low : 32_768;
  } catch {
    return 32_768;
  }
})();
const lowest = Math.max(1024, ephemeralLow - 12_000);

async function bindPlaceholder(port: number): Promise<Server | null> {
  const server = createServer();
  const bound = new Promise<boolean>((resolve) => {
    server.once('listening', () => resolve(true)).once('error', () => resolve(false));
  });
  server.listen({ port, host: '127.0.0.1', exclusive: true });
  if (await bound) return server;
  server.close();
  return null;
}

/** A held port: bound by a placeholder until `release`, so nothing else can take it meanwhile. */
export interface PortReservation {
  readonly port: number;
  release(): Promise<void>;
}

export async function reservePort(): Promise<PortReservation> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = lowest + Math.floor(Math.random() * (ephemeralLow - lowest));
    const placeholder = await bindPlaceholder(port);
    if (placeholder === null) continue;
    let released = false;
    return {
      port,
      async release() {
        if (released) return;
        released = true;
        await new Promise((resolve) => placeholder.close(resolve));
      },
    };
  }
  throw new Error(`no free loopback port between ${lowest} and ${ephemeralLow - 1}`);
}

/** A port that was free a moment ago and lies outside the ephemeral range (see above). */
export async function freePort(): Promise<number> {
  const reservation = await reservePort();
  await reservation.release();
  return reservation.port;
}
