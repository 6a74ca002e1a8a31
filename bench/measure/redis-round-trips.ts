// Redis round trips per proxied request, counted with MONITOR over a short sequential sample: commands a client sent, not those a Lua script ran inside Redis.
import { Redis } from 'ioredis';

export interface RoundTripCount {
  readonly requests: number;
  /** Commands clients sent (each one round trip, unless pipelined), per request. */
  readonly perRequest: number;
  /** Client-sent commands by name over the sample. */
  readonly byCommand: Readonly<Record<string, number>>;
  /** Commands Lua scripts ran inside Redis over the sample (no round trip each). */
  readonly insideScripts: number;
}

export async function countRoundTrips(
  redisPort: number,
  requests: number,
  sendOne: () => Promise<void>,
): Promise<RoundTripCount> {
  const client = new Redis({ port: redisPort, host: '127.0.0.1' });
  const monitor = await client.monitor();
  const byCommand: Record<string, number> = {};
  let insideScripts = 0;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua') {
      insideScripts += 1;
      return;
    }
    const name = (args[0] ?? '').toLowerCase();
    byCommand[name] = (byCommand[name] ?? 0) + 1;
  });
  for (let sent = 0; sent < requests; sent += 1) await sendOne();
  // MONITOR lines trail the replies by a little: let the last ones arrive.
  await new Promise((resolve) => setTimeout(resolve, 200));
  monitor.disconnect();
  client.disconnect();
  const commands = Object.values(byCommand).reduce((sum, calls) => sum + calls, 0);
  return { requests, perRequest: commands / requests, byCommand, insideScripts };
}
