// npm run e2e: the browser scenarios (e2e/*.spec.ts) in Debian's Chromium,
// each spec file against a development stack of its own (e2e/fixtures.ts).
import fs from 'node:fs';

import { defineConfig } from '@playwright/test';

import { CHROMIUM_ARGS, DEFAULT_CHROMIUM_PATH } from '../lib/browser.ts';

const executablePath = process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
if (!fs.existsSync(executablePath)) throw new Error(`No Chromium at ${executablePath}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);

export default defineConfig({
  testDir: 'e2e',
  // Every scenario's screenshots, and the screenshot and trace of a failure; printed at the end.
  outputDir: '../../.e2e-artifacts',
  globalTeardown: './e2e/printArtifacts.ts',
  workers: 2,
  retries: 0,
  // One scenario; a stack starts in a worker fixture with a timeout of its own.
  timeout: 300_000,
  reporter: 'list',
  use: {
    launchOptions: { executablePath, args: CHROMIUM_ARGS },
    viewport: { width: 1400, height: 1000 },
    screenshot: { mode: 'only-on-failure', fullPage: true },
    trace: { mode: 'retain-on-failure', screenshots: false },
  },
});
