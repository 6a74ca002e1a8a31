// Redis commands processed over a run (INFO stats and commandstats deltas): the store round trips each proxied request costs.
import type { Redis } from 'ioredis';

export interface CommandSnapshot {
  readonly total: number;
  /** Calls per command name (`evalsha`, `get`, `info` …). */
  readonly calls: ReadonlyMap<string, number>;
}

export async function snapshotCommands(client: Redis): Promise<CommandSnapshot> {
  const text = await client.info('all');
  const total = Number(/^total_commands_processed:(\d+)/m.exec(text)?.[1] ?? NaN);
  const calls = new Map<string, number>();
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls.set(match[1] ?? '', Number(match[2]));
  return { total, calls };
}

export interface CommandDelta {
  readonly commands: number;
  /** Per command name, leaving out the INFO the measurement itself sent. */
  readonly byCommand: Readonly<Record<string, number>>;
}

/** Commands between two snapshots, without the INFO of the first (counted in the second). */
export function commandDelta(before: CommandSnapshot, after: CommandSnapshot): CommandDelta {
  const byCommand: Record<string, number> = {};
  for (const [name, calls] of after.calls) {
    const delta = calls - (before.calls.get(name) ?? 0) - (name === 'info' ? 1 : 0);
    if (delta > 0) byCommand[name] = delta;
  }
  return { commands: after.total - before.total - 1, byCommand };
}
