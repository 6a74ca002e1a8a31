// Reads a Prometheus scrape (text format 0.0.4) the way an assertion needs it: one sample's value by name and labels.

/**
 * Scrapes `url` over HTTP. A request is observed when the gateway's response closes, a tick after
 * its last byte left, so the scrape waits for that tick first.
 */
export async function scrapeText(url: string): Promise<string> {
  await new Promise((resolve) => setImmediate(resolve));
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`the scrape answered ${response.status}`);
  return response.text();
}

/** The sum of the samples of `name` whose labels include `labels` (0 when there is none). */
export function sampleValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = labelsOf(match[2] ?? '');
    if (Object.entries(labels).every(([label, value]) => found.get(label) === value))
      total += Number(match[3]);
  }
  return total;
}

/** `a="x",b="y"` → its label names and (still escaped) values. */
export function labelsOf(labelText: string): Map<string, string> {
  return new Map(
    [...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(
      (pair) => [pair[1] ?? '', pair[2] ?? ''] as const,
    ),
  );
}
