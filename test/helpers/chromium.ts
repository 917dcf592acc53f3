import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Under CI the browser test must run: a missing Chromium is a failure there, a skip elsewhere. */
export const CHROMIUM_REQUIRED = process.env.CI === 'true';
export const CHROMIUM_INSTALL = 'apt-get update && apt-get install -y chromium';

/**
 * Debian's chromium, driven by playwright-core; undefined when none is installed. TRAILGUARD_CHROMIUM, when set, is
 * the only candidate (point it at another build, or at nothing to see how the suite behaves without one).
 */
export function chromiumPath(): string | undefined {
  const chosen = process.env.TRAILGUARD_CHROMIUM;
  const candidates = chosen === undefined ? ['/usr/bin/chromium', '/usr/bin/chromium-browser'] : [chosen];
  return candidates.find((path) => path !== '' && existsSync(path));
}

/** A headless Chromium with nothing running in the background (no network of its own, no updates, no GPU). */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
