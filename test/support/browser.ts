import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). The browser tests need it: without it they fail, never pass vacuously. */
export const CHROMIUM = process.env.HYPOTREE_CHROMIUM ?? '/usr/bin/chromium';

/** Where the browser tests leave their screenshots (a CI artifact; ignored by git). */
export const ARTIFACTS = path.resolve('test-artifacts');

/** Headless Chromium as this machine allows it (no sandbox as root, no background network on a closed network). */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set HYPOTREE_CHROMIUM`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A screenshot path under the artifacts folder. */
export function artifact(name: string): string {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}
