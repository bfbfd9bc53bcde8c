// What a person does in the generated app, in headless Chromium: enter as a
// guest on create-app's own sign-in page, open the example component's
// Kubernetes tab and answer its SpectroCloud sign-in dialog, as a demo user or
// by rejecting it. What the clusters saw is read from the stand-ins' audit log.
import path from 'node:path';

import type { Browser, Page } from '../stack/node_modules/playwright-core/index.js';

import { clusterCard, countSignInDialogs, enterAsGuest, signInDialog, signInFromDialog } from '../lib/browser.ts';
import { ALICE, BOB, COMPONENT, READER_GROUP } from '../lib/demo.ts';
import { PieceError } from '../lib/errors.ts';
import { readAuditLog } from '../stack/kube-apiserver/auditLog.ts';

const TIMEOUT_MS = 90_000;

/**
 * Runs `walk` in a fresh browser context; on failure keeps a screenshot in
 * `artifactsDir` and says what the page showed.
 */
async function inPage<T>(browser: Browser, { name, artifactsDir }: { name: string; artifactsDir: string }, walk: (page: Page) => Promise<T>): Promise<T> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  context.setDefaultTimeout(TIMEOUT_MS);
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', message => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  try {
    const result = await walk(page);
    await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
    return result;
  } catch (error) {
    const screenshot = path.join(artifactsDir, `${name}-failed.png`);
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
    const text = ((await page.locator('body').innerText().catch(() => '')) || '').replace(/\s+/g, ' ').slice(0, 600);
    throw new PieceError(
      name,
      `${(error as Error).message.split('\n')[0]}\n  page ${page.url()} showed: ${text}\n  console errors: ${consoleErrors.slice(-5).join(' | ') || 'none'}\n  screenshot: ${screenshot}`,
    );
  } finally {
    await context.close();
  }
}

async function openKubernetesTabAsGuest(page: Page, appUrl: string) {
  await enterAsGuest(page, appUrl);
  await page.goto(`${appUrl}/catalog/default/component/${COMPONENT}/kubernetes`);
  await signInDialog(page).waitFor();
}

export interface Verified {
  lines: string[];
}

/** Alice sees palette-dev's pods, and the cluster saw her, with her groups. */
export async function permittedUserSeesPods(browser: Browser, { appUrl, auditLogPath, artifactsDir, name }: { appUrl: string; auditLogPath: string; artifactsDir: string; name: string }): Promise<Verified> {
  const mark = readAuditLog(auditLogPath).length;
  await inPage(browser, { name, artifactsDir }, async page => {
    await openKubernetesTabAsGuest(page, appUrl);
    await signInFromDialog(page, ALICE.id);
    await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
  });
  const lines = readAuditLog(auditLogPath)
    .slice(mark)
    .filter(line => line.cluster === 'palette-dev');
  const listedPods = lines.some(line => line.resource === 'pods' && line.verb === 'list' && line.code === 200);
  const others = lines.filter(line => line.user !== ALICE.email || !line.groups?.includes(READER_GROUP));
  if (!listedPods || others.length > 0) {
    throw new PieceError(name, `the audit log of palette-dev does not show ${ALICE.email} listing pods: ${JSON.stringify(lines.slice(0, 5))}`);
  }
  return { lines: ['palette-dev shows 2 pods', `${lines.length} palette-dev requests in the audit log, all as ${ALICE.email} (${READER_GROUP})`] };
}

/** Bob is denied on palette-dev with a 403, while shared-sa still shows. */
export async function deniedUserGets403(browser: Browser, { appUrl, auditLogPath, artifactsDir, name }: { appUrl: string; auditLogPath: string; artifactsDir: string; name: string }): Promise<Verified> {
  const mark = readAuditLog(auditLogPath).length;
  const shown = await inPage(browser, { name, artifactsDir }, async page => {
    await openKubernetesTabAsGuest(page, appUrl);
    await signInFromDialog(page, BOB.id);
    await clusterCard(page, 'shared-sa').getByText('2 pods').waitFor();
    await clusterCard(page, 'palette-dev').getByText('0 pods').waitFor();
    // The Kubernetes tab folds cluster errors into a warning panel.
    await page.getByText('There was a problem retrieving Kubernetes objects').click();
    const denied = page.getByText(/403|forbidden/i).first();
    await denied.waitFor();
    return ((await denied.textContent()) ?? '').trim();
  });
  const lines = readAuditLog(auditLogPath)
    .slice(mark)
    .filter(line => line.cluster === 'palette-dev');
  if (lines.length === 0 || lines.some(line => line.user !== BOB.email || line.code !== 403)) {
    throw new PieceError(name, `the audit log of palette-dev does not show ${BOB.email} denied: ${JSON.stringify(lines.slice(0, 5))}`);
  }
  return { lines: [`palette-dev shows: ${shown.slice(0, 100)}`, 'shared-sa shows 2 pods', `${lines.length} palette-dev requests answered 403 for ${BOB.email}`] };
}

/**
 * A guest who rejects SpectroCloud sign-in sees shared-sa's pods and
 * palette-dev's own message, is not asked again for `seconds` of polling, and
 * palette-dev gets no request without a token meanwhile (others may sign in
 * at the same time).
 */
export async function guestSeesOtherClusters(
  browser: Browser,
  { appUrl, auditLogPath, artifactsDir, name, message, seconds }: { appUrl: string; auditLogPath: string; artifactsDir: string; name: string; message: string; seconds: number },
): Promise<Verified> {
  const mark = readAuditLog(auditLogPath).length;
  const dialogs = await inPage(browser, { name, artifactsDir }, async page => {
    await openKubernetesTabAsGuest(page, appUrl);
    await signInDialog(page).getByRole('button', { name: /reject all/i }).click();
    await clusterCard(page, 'shared-sa').getByText('2 pods').waitFor();
    await page.getByText('There was a problem retrieving Kubernetes objects').click();
    await page.getByText(message).first().waitFor();
    return countSignInDialogs(page, seconds);
  });
  const withoutToken = readAuditLog(auditLogPath)
    .slice(mark)
    .filter(line => line.cluster === 'palette-dev' && line.tokenFingerprint === null);
  if (dialogs > 0 || withoutToken.length > 0) {
    throw new PieceError(name, `after "Reject all", ${dialogs} more sign-in dialogs in ${seconds} s and ${withoutToken.length} palette-dev requests without a token (both should be 0)`);
  }
  return { lines: ['shared-sa shows 2 pods', `palette-dev says: ${message}`, `0 sign-in dialogs in ${seconds} s of polling, 0 palette-dev requests without a token`] };
}
