// Headless Chromium (Debian's, driven by Playwright) and what a person does
// in a Backstage app with this module: sign in with SpectroCloud and look at a
// cluster's card on the Kubernetes tab. Used by the browser test (e2e) and the
// adoption test.
import { chromium, type Browser, type Locator, type Page } from '@playwright/test';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchBrowser(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
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

/**
 * Signs out as people do in an app made by create-app: the settings page, the
 * "more" menu of its profile card, Sign Out. `beforeSignOut` runs while the
 * menu is open. Resolves once the sign-in page shows.
 */
export async function signOutFromSettings(page: Page, appUrl: string, beforeSignOut: () => Promise<void> = async () => {}): Promise<void> {
  await page.goto(`${appUrl}/settings`);
  await page.getByRole('button', { name: 'more' }).click();
  const signOut = page.getByRole('menuitem', { name: 'Sign Out' });
  await signOut.waitFor();
  await beforeSignOut();
  await signOut.click();
  await page.getByRole('button', { name: /sign in/i }).first().waitFor();
}

/** The SpectroCloud sign-in dialog ("Login Required") that the Kubernetes tab opens. */
export const signInDialog = (page: Page): Locator => page.getByRole('dialog').filter({ hasText: 'SpectroCloud' });

/** Answers the SpectroCloud sign-in dialog as `userId`: Log in, then the user's button in the popup. */
export async function signInFromDialog(page: Page, userId: string): Promise<void> {
  const [popup] = await Promise.all([page.waitForEvent('popup'), signInDialog(page).getByRole('button', { name: /log in/i }).first().click()]);
  // Listening before the click: the popup may close as soon as it is answered.
  const closed = popup.waitForEvent('close');
  await popup.locator(`button[value="${userId}"]`).click();
  await closed;
}

/** Enters the app as a guest from a sign-in page that offers it, unless this browser already has. */
export async function enterAsGuest(page: Page, appUrl: string): Promise<void> {
  await page.goto(appUrl);
  const enter = page.getByRole('button', { name: /enter/i });
  const catalog = page.getByRole('link', { name: 'Catalog' }).first();
  await enter.or(catalog).first().waitFor();
  if (await enter.isVisible()) await enter.click();
  await catalog.waitFor();
}
