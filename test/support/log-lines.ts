// Reads a harness's captured log output: every line parsed, or the audit lines of one event.

export type LogLine = Record<string, unknown>;

/** Every captured line, parsed (each is one JSON object; a line that does not parse fails the test). */
export function parsedLogLines(logs: readonly string[]): LogLine[] {
  return logs.map((line) => JSON.parse(line) as LogLine);
}

/** The audit lines (`"audit": true`) of `event`, in order. */
export function auditLinesOf(logs: readonly string[], event: string): LogLine[] {
  return parsedLogLines(logs).filter((line) => line.audit === true && line.event === event);
}
