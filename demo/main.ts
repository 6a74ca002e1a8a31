// `npm run demo`: the whole stack on loopback with no configuration; `--stand-ins-only` for docker-compose, where the gateway runs in its own container.
import { startDemo } from './start-demo.ts';
import { readDemoSettings } from './settings.ts';
import { startDemoStandIns } from './stand-ins.ts';

const standInsOnly = process.argv.includes('--stand-ins-only');

async function start(): Promise<() => Promise<void>> {
  // Inside start(): a malformed DEMO_* variable is reported in one line like any start-up failure.
  const settings = readDemoSettings(process.env);
  if (standInsOnly) {
    const publicUrl = settings.publicUrl ?? `http://localhost:${settings.port}`;
    const standIns = await startDemoStandIns(settings, publicUrl);
    const shown = Object.entries(standIns.gatewayEnvironment).filter(
      ([name]) => !name.endsWith('_SECRET'),
    );
    process.stdout.write(
      `bff-gateway demo stand-ins are running for ${publicUrl}. Gateway variables (secrets: demo/settings.ts):\n` +
        shown.map(([name, value]) => `  ${name}=${value}\n`).join(''),
    );
    return () => standIns.close();
  }
  const demo = await startDemo(settings);
  process.stdout.write(`\nbff-gateway demo is running: open ${demo.url}\n\n`);
  return () => demo.stop();
}

try {
  const stop = await start();
  const shutdown = () => {
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
} catch (error) {
  process.stderr.write(
    `bff-gateway demo: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
