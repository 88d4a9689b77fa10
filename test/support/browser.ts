/**
 * Headless Chromium from the Debian package, driven by playwright-core; no browser is ever
 * downloaded. Each launch gets a fresh profile directory, removed on close.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The browser the tests drive, for describeWithTool: under CI a missing one fails the suite. */
export const chromiumTool = {
  available: existsSync(CHROMIUM),
  missing: `${CHROMIUM} not found: install the Debian package chromium, or set CHROMIUM_PATH`,
};

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = await mkdtemp(path.join(tmpdir(), 'opsbox-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
    return {
      context,
      close: async () => {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(`could not start Chromium at ${CHROMIUM} (install the Debian package chromium, or set CHROMIUM_PATH): ${(error as Error).message}`);
  }
}
