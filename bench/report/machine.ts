// Describes the machine a run happened on: CPU model, cores, Node, kernel.
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';

export function describeMachine(): {
  cpuModel: string;
  cores: number;
  node: string;
  kernel: string;
} {
  let cpuModel = 'unknown';
  try {
    cpuModel =
      /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // Not Linux: the model stays unknown.
  }
  return { cpuModel, cores: cpus().length, node: process.version, kernel: release() };
}
