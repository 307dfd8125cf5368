/**
 * The browser the e2e tier drives: Chromium shipped inside the `@sparticuz/chromium` npm package
 * (brotli-compressed in node_modules, unpacked to the system temp folder on first use), so `npm ci &&
 * npm test` needs nothing installed beside Node.js. It is a headless-shell build; playwright-core drives
 * it over CDP.
 */
import sparticuz from '@sparticuz/chromium';
import { type Browser, chromium } from 'playwright-core';

/** Flags that keep Chromium off the network: a closed network refuses its background connections. */
const OFFLINE_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Launches the packaged headless Chromium. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = await sparticuz.executablePath();
  return chromium.launch({
    executablePath,
    args: [...sparticuz.args, ...OFFLINE_ARGS],
    headless: true,
  });
}
