// Headless Chromium (Debian's, driven by playwright-core) and what a person
// does in a Backstage app with this module: sign in with SpectroCloud and look
// at a cluster's card on the Kubernetes tab. Used by the browser test (e2e)
// and the adoption test.
import { createRequire } from 'node:module';

import type { Browser, BrowserType, Locator, Page } from '../stack/node_modules/playwright-core/index.js';

// playwright-core is installed with dev/stack, not with the module: load it as dev/stack would.
const { chromium } = createRequire(new URL('../stack/package.json', import.meta.url))('playwright-core') as { chromium: BrowserType };

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

export function launchBrowser(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The card of cluster `name` on the Kubernetes tab. */
export const clusterCard = (page: Page, name: string): Locator => page.getByRole('button').filter({ hasText: new RegExp(`^${name}Cluster`) });

/** Signs in from the app's sign-in page, as `userId` in the issuer's popup. */
export async function signInWithSpectroCloud(page: Page, appUrl: string, userId: string): Promise<void> {
  await page.goto(appUrl);
  const signIn = page.getByRole('button', { name: /sign in/i }).first();
  const [popup] = await Promise.all([page.waitForEvent('popup'), signIn.click()]);
  await popup.locator(`button[value="${userId}"]`).click();
  await signIn.waitFor({ state: 'detached' });
}
