// Launches Debian's Chromium through playwright-core (never a downloaded browser): headless, sandbox off for root, no background traffic.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's package (`apt-get install chromium`); `CHROMIUM_PATH` points elsewhere. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(
      `no Chromium at ${chromiumPath}: install Debian's package (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`,
    );
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      // Root in a container has no user namespace for Chromium's sandbox.
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      // The machine has no network: background requests to Google's hosts only fail, many at a time.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
