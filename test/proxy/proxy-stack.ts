// Starts a recording upstream and the proxy in front of it (base path `/base`) around a test file's tests.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startProxyHarness, type ProxyHarness } from './proxy-harness.ts';
import { startRecordingUpstream, type RecordingUpstream } from './recording-upstream.ts';

export interface ProxyStack {
  readonly upstream: RecordingUpstream;
  readonly harness: ProxyHarness;
}

/** Starts before the file's tests, resets the upstream's record before each, closes after all. */
export function useProxyStack(
  options: { upstreamTimeoutMs?: number },
  use: (stack: ProxyStack) => void,
): void {
  let stack: ProxyStack | undefined;
  beforeAll(async () => {
    const upstream = await startRecordingUpstream();
    const harness = await startProxyHarness({
      apiUrl: new URL(`${upstream.origin}/base`),
      ...options,
    });
    stack = { upstream, harness };
    use(stack);
  });
  afterAll(async () => {
    await stack?.harness.close();
    await stack?.upstream.close();
  });
  beforeEach(() => stack?.upstream.reset());
}
