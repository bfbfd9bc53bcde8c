// The whole authentication flow in headless Chromium (Debian's, driven by
// playwright-core): npm run e2e. Each scenario saves a screenshot under
// .e2e-artifacts/ and prints what it verified.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import {
  DEFAULT_CHROMIUM_PATH, clusterCard, countSignInDialogs, enterAsGuest, launchBrowser, signInDialog, signInFromDialog, signInWithSpectroCloud,
  signOutFromSettings,
} from '../lib/browser.ts';
import {
  ALICE, BOB, CATALOG_CLUSTER, CLIENT_ID, COMPONENT, DEFAULT_APP_PORT, DEFAULT_BACKEND_PORT, READER_GROUP, SECOND_ENVIRONMENT, SECOND_ENVIRONMENT_CLUSTER,
} from '../lib/demo.ts';
import { readAuditLog, tokenFingerprint, type AuditRecord } from './kube-apiserver/auditLog.ts';
import { startStack, type Stack, type StackOptions } from './stack.ts';
import { signInMessage } from '../../backend/src/module.ts';

const rootDir = path.resolve(fileURLToPath(import.meta.url), '../../..');
const artifacts = path.join(rootDir, '.e2e-artifacts');
const chromiumPath = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;
// Long enough for a sign-in on a loaded machine to leave a sendable token.
const SHORT_TTL_SECONDS = 30;
// A long session: the tab stays open, with no reload, across three lifetimes
// of ID tokens this short (the tab polls every 10 s).
const LONG_SESSION_TTL_SECONDS = 20;
const LONG_SESSION_LIFETIMES = 3;
const DEFAULT_TTL_SECONDS = 3600;
// How long a guest who rejected SpectroCloud sign-in watches the tab poll:
// with the backend module, and (enough for three polls) without it.
const GUEST_POLLING_SECONDS = 60;
const STOCK_GUEST_POLLING_SECONDS = 30;
// The tab polls every 10 s: one more of its requests comes within this.
const POLL_SECONDS = 12;
// Every stack's: APP_PORT and BACKEND_PORT move them, as they do for npm
// start; the Palette stand-ins leave email_verified out, the strictest Palette
// the README's path works with (docs/backend.md, "Palettes that differ").
const everyStack: Pick<StackOptions, 'appPort' | 'backendPort' | 'paletteVariant'> = {
  appPort: Number(process.env.APP_PORT ?? DEFAULT_APP_PORT),
  backendPort: Number(process.env.BACKEND_PORT ?? DEFAULT_BACKEND_PORT),
  paletteVariant: { emailVerified: 'absent' },
};

if (!fs.existsSync(chromiumPath)) {
  throw new Error(`No Chromium at ${chromiumPath}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);
}
fs.mkdirSync(artifacts, { recursive: true });

const report = (scenario: string, lines: string[]) => console.log([`✓ ${scenario}`, ...lines.map(line => `    ${line}`)].join('\n'));

interface CapturedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

interface BrowserSession {
  context: BrowserContext;
  page: Page;
  requests: CapturedRequest[];
  consoleLines: string[];
  idTokens: Set<string>;
}

/** A fresh browser context that records every request and console line. */
async function openPage(browser: Browser): Promise<BrowserSession> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const requests: CapturedRequest[] = [];
  const consoleLines: string[] = [];
  const idTokens = new Set<string>();
  context.on('request', async request => {
    requests.push({ url: request.url(), headers: await request.allHeaders().catch(() => ({})), body: request.postData() ?? '' });
  });
  context.on('response', async response => {
    if (response.url().includes('/api/auth/spectrocloud/refresh') && response.ok()) {
      const session = await response.json().catch(() => undefined);
      if (session?.providerInfo?.idToken) idTokens.add(session.providerInfo.idToken);
    }
  });
  const page = await context.newPage();
  page.on('console', message => consoleLines.push(message.text()));
  return { context, page, requests, consoleLines, idTokens };
}

/**
 * Runs a scenario in a fresh page; on failure saves what the page showed as
 * `<name>-failed.png` before the error is reported.
 */
function inBrowser(getBrowser: () => Browser, name: string, scenario: (session: BrowserSession) => Promise<void>) {
  return async () => {
    const session = await openPage(getBrowser());
    try {
      await scenario(session);
    } catch (error) {
      await session.page.screenshot({ path: path.join(artifacts, `${name}-failed.png`), fullPage: true }).catch(() => {});
      throw error;
    } finally {
      await session.context.close();
    }
  };
}

async function openKubernetesTab(page: Page, appUrl: string) {
  await page.goto(`${appUrl}/catalog/default/component/${COMPONENT}/kubernetes`);
}

/**
 * Alice with palette-dev's pods on the tab, at the start of a long session:
 * where the audit log and the captured requests stand, and how long to keep
 * the tab open.
 */
async function startLongSession(page: Page, stack: Stack, requests: CapturedRequest[], { answerPrompt = false } = {}) {
  await signInAndOpenTab(page, stack, ALICE.id);
  const pods = clusterCard(page, 'palette-dev').getByText('2 pods');
  // A backend that cannot renew asks again when a slow sign-in left too little of a short token.
  if (answerPrompt) {
    await pods.or(signInDialog(page)).first().waitFor();
    if (await signInDialog(page).isVisible()) await signInFromDialog(page, ALICE.id);
  }
  await pods.waitFor();
  return { mark: readAuditLog(stack.auditLogPath).length, refreshMark: requests.length, seconds: LONG_SESSION_LIFETIMES * LONG_SESSION_TTL_SECONDS + 5 };
}

/** Signs `userId` in and opens the Kubernetes tab; returns the audit log's length before, to read what the tab caused. */
async function signInAndOpenTab(page: Page, stack: Stack, userId: string): Promise<number> {
  const mark = readAuditLog(stack.auditLogPath).length;
  await signInWithSpectroCloud(page, stack.appUrl, userId);
  await openKubernetesTab(page, stack.appUrl);
  return mark;
}

const REFRESH_PATH = '/api/auth/spectrocloud/refresh';
const refreshCalls = (requests: CapturedRequest[], from = 0) => requests.slice(from).filter(request => request.url.includes(REFRESH_PATH)).length;

interface OpenTabFigures {
  /** Times the SpectroCloud sign-in dialog came up. */
  prompts: number;
  /** Checks, one a second, at which palette-dev did not show its pods. */
  podsMissing: number;
}

/**
 * Leaves the Kubernetes tab open for `seconds`, with no reload. Once a second
 * it looks for the SpectroCloud sign-in dialog, counting each time it comes
 * up and handing it to `onPrompt`, and whether palette-dev shows its pods.
 */
async function keepTabOpen(page: Page, seconds: number, onPrompt?: () => Promise<void>): Promise<OpenTabFigures> {
  const figures = { prompts: 0, podsMissing: 0 };
  let dialogShown = false;
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const dialogVisible = await signInDialog(page).isVisible();
    if (dialogVisible && !dialogShown) {
      figures.prompts += 1;
      await onPrompt?.();
    }
    dialogShown = dialogVisible && !onPrompt;
    if (!(await clusterCard(page, 'palette-dev').getByText('2 pods').isVisible())) figures.podsMissing += 1;
    await page.waitForTimeout(1000);
  }
  return figures;
}

/** The audit lines palette-dev wrote for tokens of `email` since `mark`, and the ones it refused. */
function oidcClusterLines(stack: Stack, mark: number) {
  const lines = readAuditLog(stack.auditLogPath)
    .slice(mark)
    .filter(line => line.cluster === 'palette-dev');
  return { lines, unauthorized: lines.filter(line => line.code === 401) };
}

const distinctTokens = (lines: AuditRecord[]) => new Set(lines.map(line => line.tokenFingerprint)).size;

/** Audit lines counted per cluster, as `cluster: n` joined by commas; 'none' for none. */
function perCluster(lines: AuditRecord[]): string {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line.cluster, (counts.get(line.cluster) ?? 0) + 1);
  return [...counts].map(([cluster, count]) => `${cluster}: ${count}`).join(', ') || 'none';
}

/**
 * What the tab's warning panel says about cluster `name` (the lines of its
 * "Cluster: <name>" entry), opening the panel if closed; '' when it says
 * nothing about that cluster within `timeoutMs` (0: look once).
 */
async function clusterErrorText(page: Page, name: string, timeoutMs: number): Promise<string> {
  const closedPanel = page.locator('[aria-expanded="false"]').filter({ hasText: 'There was a problem retrieving Kubernetes objects' });
  // The innermost element holding the cluster's label holds its errors too.
  const entry = page.locator('div').filter({ has: page.getByText(`Cluster: ${name}`, { exact: true }) }).last();
  for (const deadline = Date.now() + timeoutMs; ; await page.waitForTimeout(500)) {
    if (await entry.isVisible()) {
      // Its lines after the label, without the stock prefix of a fetch error.
      const [, ...errors] = await entry.locator('p').allTextContents();
      return errors.map(error => error.replace(/^Error communicating with Kubernetes: FETCH_ERROR, message: /, '')).join(' | ');
    }
    // Dispatched rather than clicked: a sign-in dialog may cover the tab.
    if (await closedPanel.isVisible()) await closedPanel.dispatchEvent('click');
    if (Date.now() >= deadline) return '';
  }
}

/**
 * A stack started with `options` and a browser, shared by the tests of one
 * describe block and stopped after them.
 */
function stackAndBrowser(options: StackOptions) {
  const running: { stack?: Stack; browser?: Browser } = {};
  before(async () => {
    running.stack = await startStack(options);
    running.browser = await launchBrowser(chromiumPath);
  });
  after(async () => {
    await running.browser?.close();
    await running.stack?.stop();
  });
  return {
    get stack(): Stack {
      return running.stack!;
    },
    get browser(): Browser {
      return running.browser!;
    },
  };
}

describe('SpectroCloud sign-in to Kubernetes, in a browser', { timeout: 600_000 }, () => {
  // With a SpectroCloud cluster that only a catalog entity declares, and that
  // allowedCatalogClusterUrls does not list: the other scenarios look at the
  // config clusters only.
  const env = stackAndBrowser({ ...everyStack, catalogCluster: true });

  it(
    "1. the permitted user sees the OIDC cluster's pods as themselves",
    inBrowser(() => env.browser, 'scenario-1', async ({ page }) => {
      const mark = await signInAndOpenTab(page, env.stack, ALICE.id);
      await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
      await page.screenshot({ path: path.join(artifacts, '1-permitted-user.png'), fullPage: true });

      const oidcLines = readAuditLog(env.stack.auditLogPath)
        .slice(mark)
        .filter(line => line.cluster === 'palette-dev');
      assert.ok(oidcLines.some(line => line.resource === 'pods' && line.verb === 'list' && line.code === 200));
      for (const line of oidcLines) {
        assert.equal(line.user, ALICE.email);
        assert.ok(line.groups?.includes(READER_GROUP));
        assert.equal(line.tokenAlg, 'RS256');
        assert.equal(line.tokenIssuer, env.stack.issuer!.issuer);
        assert.deepEqual([line.tokenAudience].flat(), [CLIENT_ID]);
      }
      report('permitted user', [
        'palette-dev shows 2 pods',
        `${oidcLines.length} palette-dev requests, all as ${ALICE.email} (groups ${oidcLines[0].groups!.join(', ')})`,
        `each carried an RS256 token from ${env.stack.issuer!.issuer} for client ${CLIENT_ID}`,
      ]);
    }),
  );

  it(
    '2. the user without a binding is denied on the OIDC cluster; the service-account cluster still shows',
    inBrowser(() => env.browser, 'scenario-2', async ({ page }) => {
      const mark = await signInAndOpenTab(page, env.stack, BOB.id);
      await clusterCard(page, 'shared-sa').getByText('2 pods').waitFor();
      await clusterCard(page, 'palette-dev').getByText('0 pods').waitFor();
      // The Kubernetes tab folds cluster errors into a warning panel.
      await page.getByText('There was a problem retrieving Kubernetes objects').click();
      const denied = page.getByText(/403|forbidden/i).first();
      await denied.waitFor();
      await page.screenshot({ path: path.join(artifacts, '2-denied-user.png'), fullPage: true });
      const shown = ((await denied.textContent()) ?? '').trim();

      const oidcLines = readAuditLog(env.stack.auditLogPath)
        .slice(mark)
        .filter(line => line.cluster === 'palette-dev');
      assert.ok(oidcLines.length > 0);
      assert.ok(oidcLines.every(line => line.user === BOB.email && line.code === 403));
      report('denied user', [
        `palette-dev shows: ${shown.slice(0, 120)}`,
        'shared-sa shows 2 pods',
        `${oidcLines.length} palette-dev requests answered 403 for ${BOB.email}`,
      ]);
    }),
  );

  it(
    '3. a guest who rejects SpectroCloud sign-in is asked once and sees the clusters that need no user token; signing in elsewhere brings the rest',
    inBrowser(() => env.browser, 'scenario-3', async ({ context, page }) => {
      await enterAsGuest(page, env.stack.appUrl);
      const mark = readAuditLog(env.stack.auditLogPath).length;
      await openKubernetesTab(page, env.stack.appUrl);
      await signInDialog(page).getByRole('button', { name: /reject all/i }).click();
      await clusterCard(page, 'shared-sa').getByText('2 pods').waitFor();
      // The Kubernetes tab folds cluster errors into a warning panel.
      await page.getByText('There was a problem retrieving Kubernetes objects').click();
      const message = page.getByText(signInMessage('SpectroCloud')).first();
      await message.waitFor();
      await page.screenshot({ path: path.join(artifacts, '3a-guest-rejected.png'), fullPage: true });

      const dialogs = await countSignInDialogs(page, GUEST_POLLING_SECONDS);
      const sharedShown = await clusterCard(page, 'shared-sa').getByText('2 pods').isVisible();
      const withoutToken = readAuditLog(env.stack.auditLogPath)
        .slice(mark)
        .filter(line => line.cluster === 'palette-dev');
      assert.equal(dialogs, 0, 'no sign-in dialog after the guest rejected it');
      assert.ok(sharedShown, "shared-sa's pods still show");
      assert.deepEqual(withoutToken, [], 'palette-dev got no request');

      // The guest signs in with SpectroCloud in another tab, which asks once.
      const other = await context.newPage();
      await enterAsGuest(other, env.stack.appUrl);
      await openKubernetesTab(other, env.stack.appUrl);
      await signInFromDialog(other, ALICE.id);
      await other.close();
      await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
      await page.screenshot({ path: path.join(artifacts, '3b-guest-signed-in-elsewhere.png'), fullPage: true });
      report('a guest without a SpectroCloud session', [
        `after "Reject all": shared-sa shows 2 pods; palette-dev says "${signInMessage('SpectroCloud')}"`,
        `sign-in dialogs in the next ${GUEST_POLLING_SECONDS} s of polling: ${dialogs}; palette-dev requests meanwhile: ${withoutToken.length}`,
        "after a SpectroCloud sign-in in another tab, palette-dev's pods show in this one with no reload",
      ]);
    }),
  );

  it(
    "5. the token goes only to the backend's Kubernetes routes, never into a URL or the console",
    inBrowser(() => env.browser, 'scenario-5', async ({ page, requests, consoleLines, idTokens }) => {
      await signInAndOpenTab(page, env.stack, ALICE.id);
      await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
      await page.screenshot({ path: path.join(artifacts, '5-token-isolation.png'), fullPage: true });

      assert.ok(idTokens.size > 0, 'the page received an ID token');
      const holdsToken = (text: string) => [...idTokens].some(token => text.includes(token));
      const carrying = requests.filter(r => holdsToken(r.url) || holdsToken(r.body) || Object.values(r.headers).some(holdsToken));
      const kubernetesRoutes = `${env.stack.backendUrl}/api/kubernetes/`;
      for (const request of carrying) {
        assert.equal(holdsToken(request.url), false, `token in URL of ${request.url.split('?')[0]}`);
        if (request.url.startsWith(kubernetesRoutes)) continue;
        // The published backend auth module keeps the ID token in its own
        // httpOnly refresh cookie, which the browser sends back only to that
        // provider's routes (the default one keeps a refresh token there).
        assert.ok(request.url.startsWith(`${env.stack.backendUrl}/api/auth/spectrocloud/`), `token sent to ${request.url.split('?')[0]}`);
        assert.ok(!holdsToken(request.body) && Object.entries(request.headers).every(([name, value]) => name === 'cookie' || !holdsToken(value)));
      }
      assert.equal(consoleLines.some(holdsToken), false);
      const toKubernetes = carrying.filter(r => r.url.startsWith(kubernetesRoutes));
      assert.ok(toKubernetes.length > 0);
      report('token isolation', [
        `${requests.length} requests captured; ${toKubernetes.length} carried the token, all to ${kubernetesRoutes}*`,
        `${carrying.length - toKubernetes.length} more carried it only in the backend auth module's refresh cookie to /api/auth/spectrocloud/*`,
        `no URL and none of ${consoleLines.length} console lines held it`,
      ]);
    }),
  );

  it(
    '6. pod logs reach the OIDC cluster through the proxy as the user',
    inBrowser(() => env.browser, 'scenario-6', async ({ page }) => {
      const mark = await signInAndOpenTab(page, env.stack, ALICE.id);
      await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
      await clusterCard(page, 'palette-dev').click();
      // The summary's text opens drawers; its chevron expands the pods table.
      await page.getByRole('button', { name: /Deployment/ }).first().locator('.MuiAccordionSummary-expandIcon').click();
      await page
        .getByRole('button')
        .filter({ hasText: new RegExp(`^${COMPONENT}-[a-z0-9]+-[a-z0-9]+$`) })
        .first()
        .click();
      await page.getByRole('button').filter({ hasText: /^Logs$/ }).first().click();
      await page.getByText(/logs on cluster palette-dev/).waitFor();
      await page.getByText(/listening on :8080/).waitFor();
      await page.screenshot({ path: path.join(artifacts, '6-pod-logs.png'), fullPage: true });

      const logLines = readAuditLog(env.stack.auditLogPath)
        .slice(mark)
        .filter(line => line.resource === 'pods/log');
      assert.ok(logLines.length > 0);
      for (const line of logLines) {
        assert.equal(line.cluster, 'palette-dev');
        assert.equal(line.user, ALICE.email);
        assert.equal(line.code, 200);
      }
      report('pod logs through the proxy', [`${logLines.length} pods/log request(s) on palette-dev as ${ALICE.email}, answered 200`]);
    }),
  );

  it(
    `7. a session across ${LONG_SESSION_LIFETIMES} ID-token lifetimes with the renewing backend: no prompt, no expired token, pods stay; after sign-out no request carries the user's token`,
    inBrowser(() => env.browser, 'scenario-7', async ({ page, requests, idTokens }) => {
      env.stack.issuer!.setTokenLifetime(LONG_SESSION_TTL_SECONDS);
      try {
        const { mark, refreshMark, seconds } = await startLongSession(page, env.stack, requests);
        const { prompts, podsMissing } = await keepTabOpen(page, seconds);
        await page.screenshot({ path: path.join(artifacts, '7a-long-session-renewed.png'), fullPage: true });

        const { lines, unauthorized } = oidcClusterLines(env.stack, mark);
        const tokens = distinctTokens(lines.filter(line => line.user === ALICE.email));
        const renewals = refreshCalls(requests, refreshMark);
        assert.equal(prompts, 0, 'no sign-in prompt');
        assert.equal(unauthorized.length, 0, 'no request with an expired token');
        assert.ok(tokens >= LONG_SESSION_LIFETIMES, `${tokens} distinct ID tokens`);
        assert.equal(podsMissing, 0, 'the pods stayed on screen');
        report('long session, renewing backend (Backstage OIDC authenticator)', [
          `tab open ${seconds} s with ID tokens of ${LONG_SESSION_TTL_SECONDS} s, no reload`,
          `${tokens} distinct ID tokens for alice in the audit log, ${lines.length} palette-dev requests`,
          `prompts ${prompts}, 401s ${unauthorized.length}, renewals (refresh calls) ${renewals}, pods missing at 0 of ${seconds} checks`,
        ]);

        // Signing out does what the app's sign-out does: the provider's
        // logout, then a new page load. Then a guest opens the tab.
        const signedOut = requests.length;
        const auditAtSignOut = readAuditLog(env.stack.auditLogPath).length;
        const aliceTokens = new Set(readAuditLog(env.stack.auditLogPath).filter(line => line.user === ALICE.email).map(line => line.tokenFingerprint));
        const logout = await page.evaluate(async backendUrl => {
          const response = await fetch(`${backendUrl}/api/auth/spectrocloud/logout?env=development`, {
            method: 'POST',
            headers: { 'x-requested-with': 'XMLHttpRequest' },
            credentials: 'include',
          });
          return response.status;
        }, env.stack.backendUrl);
        assert.equal(logout, 200);
        await page.goto(env.stack.appUrl);
        await page.getByRole('button', { name: /enter/i }).click();
        await page.getByRole('link', { name: 'Catalog' }).first().waitFor();
        await openKubernetesTab(page, env.stack.appUrl);
        await signInDialog(page).waitFor();
        await page.waitForTimeout(12_000);
        await page.screenshot({ path: path.join(artifacts, '7b-after-sign-out.png'), fullPage: true });

        const holdsToken = (text: string) => [...idTokens].some(token => text.includes(token));
        const carrying = requests.slice(signedOut).filter(r => holdsToken(r.url) || holdsToken(r.body) || Object.values(r.headers).some(holdsToken));
        const reachedCluster = readAuditLog(env.stack.auditLogPath)
          .slice(auditAtSignOut)
          .filter(line => aliceTokens.has(line.tokenFingerprint));
        assert.equal(carrying.length, 0, "a request after sign-out carried alice's token");
        assert.equal(reachedCluster.length, 0);
        report('after sign-out', [
          `${requests.length - signedOut} requests in the 12 s after sign-out, none with any of alice's ${idTokens.size} ID tokens; the tab asks for SpectroCloud sign-in`,
          `no audit line for any of alice's ${aliceTokens.size} tokens after sign-out`,
        ]);
      } finally {
        env.stack.issuer!.setTokenLifetime(DEFAULT_TTL_SECONDS);
      }
    }),
  );

  it(
    `15. a SpectroCloud cluster that only a catalog entity declares (${CATALOG_CLUSTER}) gets no user token and says why; palette-dev shows the pods`,
    inBrowser(() => env.browser, 'scenario-15', async ({ page }) => {
      const mark = await signInAndOpenTab(page, env.stack, ALICE.id);
      await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
      // The same objects request reached every cluster: its audit lines are written.
      const message = await clusterErrorText(page, CATALOG_CLUSTER, POLL_SECONDS * 1000);
      await page.screenshot({ path: path.join(artifacts, '15-catalog-cluster.png'), fullPage: true });

      const lines = readAuditLog(env.stack.auditLogPath).slice(mark);
      const catalogLines = lines.filter(line => line.cluster === CATALOG_CLUSTER);
      const withToken = catalogLines.filter(line => line.tokenFingerprint !== null);
      const paletteDev = lines.filter(line => line.cluster === 'palette-dev' && line.user === ALICE.email && line.code === 200);
      const users = [...new Set(withToken.map(line => line.user ?? 'unauthenticated'))].join(', ');
      const figures = [
        `${CATALOG_CLUSTER} (${env.stack.catalogClusterUrl}, declared by resource:default/${CATALOG_CLUSTER}): ${catalogLines.length} requests, ${withToken.length} with a bearer token${withToken.length ? ` (authenticated as ${users})` : ''}`,
        `palette-dev: ${paletteDev.length} requests as ${ALICE.email}, answered 200; the tab shows 2 pods`,
        `${CATALOG_CLUSTER}'s entry in the warning panel: ${message ? `"${message.slice(0, 300)}"` : 'none'}`,
      ];
      assert.ok(paletteDev.length > 0, 'palette-dev got alice\'s token');
      assert.equal(withToken.length, 0, `the catalog-declared cluster got a token:\n${figures.join('\n')}`);
      assert.match(message, /declared in the catalog/i, `the catalog-declared cluster's own message:\n${figures.join('\n')}`);
      report('a SpectroCloud cluster declared in the catalog', figures);
    }),
  );
});

describe('the published backend auth module and the stock Kubernetes backend, in a browser', { timeout: 600_000 }, () => {
  const env = stackAndBrowser({ ...everyStack, idTokenTtlSeconds: SHORT_TTL_SECONDS, authBackend: 'published', stockKubernetesBackend: true });

  it(
    '10. without the backend module, a guest who rejects SpectroCloud sign-in is asked once and told what is missing',
    inBrowser(() => env.browser, 'scenario-10', async ({ page }) => {
      await enterAsGuest(page, env.stack.appUrl);
      await openKubernetesTab(page, env.stack.appUrl);
      await signInDialog(page).getByRole('button', { name: /reject all/i }).click();
      await page.getByText('There was a problem retrieving Kubernetes objects').click();
      const message = page.getByText(/SpectroCloudSignInRequiredError/).first();
      await message.waitFor();
      await page.screenshot({ path: path.join(artifacts, '10-stock-backend-guest.png'), fullPage: true });
      const shown = ((await message.textContent()) ?? '').trim();
      const dialogs = await countSignInDialogs(page, STOCK_GUEST_POLLING_SECONDS);
      assert.match(shown, /backstage-plugin-kubernetes-backend-module-spectrocloud-auth/);
      assert.equal(dialogs, 0);
      report('a guest, stock Kubernetes backend', [
        `after "Reject all" the tab says: ${shown.slice(0, 240)}`,
        `sign-in dialogs in the next ${STOCK_GUEST_POLLING_SECONDS} s of polling: ${dialogs}`,
      ]);
    }),
  );

  it(
    '4. after expiry and a reload the user is asked to sign in again (the published backend auth module cannot refresh)',
    inBrowser(() => env.browser, 'scenario-4', async ({ page, idTokens }) => {
      await signInAndOpenTab(page, env.stack, ALICE.id);
      await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
      await page.waitForTimeout((SHORT_TTL_SECONDS + 3) * 1000);
      await page.reload();
      const signIn = page.getByRole('button', { name: /sign in/i }).first();
      await signIn.waitFor();
      await page.screenshot({ path: path.join(artifacts, '4-expired-token.png'), fullPage: true });

      const alice = readAuditLog(env.stack.auditLogPath).filter(line => line.cluster === 'palette-dev' && line.user === ALICE.email);
      const tokens = new Set(alice.map(line => line.tokenFingerprint));
      assert.equal(tokens.size, 1);
      assert.equal(new Set([...idTokens].map(tokenFingerprint)).size, 1);
      report('expired token', [
        `ID token lifetime ${SHORT_TTL_SECONDS} s; after ${SHORT_TTL_SECONDS + 3} s and a reload the app shows the sign-in page again`,
        `the audit log holds ${tokens.size} token for alice: the backend auth module's refresh re-serves the first ID token until it expires and never asks the issuer for a new one`,
      ]);
    }),
  );

  it(
    `8. a session across ${LONG_SESSION_LIFETIMES} ID-token lifetimes with the published backend: no expired token; at each expiry one sign-in dialog, and the tab recovers without a reload`,
    inBrowser(() => env.browser, 'scenario-8', async ({ page, requests }) => {
      env.stack.issuer!.setTokenLifetime(LONG_SESSION_TTL_SECONDS);
      try {
        const { mark, refreshMark, seconds } = await startLongSession(page, env.stack, requests, { answerPrompt: true });
        // Refresh calls while the dialog waits for the user: bounded, no loop.
        const whileWaiting: number[] = [];
        // What the tab's (collapsed) warning panel says behind the dialog.
        const messagesAtExpiry = new Set<string>();
        const { prompts } = await keepTabOpen(page, seconds, async () => {
          if (whileWaiting.length === 0) await page.screenshot({ path: path.join(artifacts, '8a-sign-in-dialog-at-expiry.png'), fullPage: true });
          for (const text of await page.getByText(/SpectroCloud\w*Error/).allTextContents()) {
            messagesAtExpiry.add(text.trim().slice(0, 140));
          }
          const callsBefore = refreshCalls(requests);
          await page.waitForTimeout(12_000);
          whileWaiting.push(refreshCalls(requests) - callsBefore);
          await signInFromDialog(page, ALICE.id);
        });
        await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
        await page.screenshot({ path: path.join(artifacts, '8b-recovered.png'), fullPage: true });

        const { lines, unauthorized } = oidcClusterLines(env.stack, mark);
        const tokens = distinctTokens(lines.filter(line => line.user === ALICE.email));
        assert.equal(unauthorized.length, 0, 'no request with an expired token');
        assert.ok(prompts >= 1, 'the user was asked to sign in at expiry');
        assert.ok(tokens >= 2, 'the tab went on with the token of the new sign-in');
        assert.ok(whileWaiting.every(calls => calls <= 2), `refresh calls while the dialog was open: ${whileWaiting.join(', ')}`);
        report('long session, published backend', [
          `tab open ${seconds} s with ID tokens of ${LONG_SESSION_TTL_SECONDS} s, no reload`,
          `prompts ${prompts} (each answered after 12 s), 401s ${unauthorized.length}, ${tokens} distinct ID tokens for alice, renewals (refresh calls) ${refreshCalls(requests, refreshMark)}`,
          `refresh calls during each 12 s the dialog stayed open: ${whileWaiting.join(', ')}; the pods show again after each sign-in`,
          ...[...messagesAtExpiry].map(text => `behind the dialog the tab said: ${text}`),
        ]);
      } finally {
        env.stack.issuer!.setTokenLifetime(SHORT_TTL_SECONDS);
      }
    }),
  );

  it(
    "9. with Palette's HS256 refresh_token, the module never sends the HS256 token and the tab shows the pods",
    inBrowser(() => env.browser, 'scenario-9', async ({ page }) => {
      env.stack.issuer!.answerLikePalette(true);
      try {
        const mark = await signInAndOpenTab(page, env.stack, ALICE.id);
        await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
        await page.screenshot({ path: path.join(artifacts, '9-palette-refresh-token.png'), fullPage: true });

        const { lines, unauthorized } = oidcClusterLines(env.stack, mark);
        const algs = [...new Set(lines.map(line => line.tokenAlg))];
        assert.ok(lines.length > 0);
        assert.deepEqual(algs, ['RS256'], 'only RS256 ID tokens reached the cluster');
        assert.equal(unauthorized.length, 0);
        report("Palette's HS256 refresh_token, published backend", [
          'the issuer stand-in answered the sign-in with an HS256 session token as refresh_token',
          `${lines.length} palette-dev requests, all with RS256 tokens (algorithms seen: ${algs.join(', ')}), 401s ${unauthorized.length}; the tab shows 2 pods`,
        ]);
      } finally {
        env.stack.issuer!.answerLikePalette(false);
      }
    }),
  );
});

describe('two SpectroCloud environments, in a browser', { timeout: 600_000 }, () => {
  // With the catalog-declared cluster, listed in allowedCatalogClusterUrls:
  // the other scenarios look at the config and supplied clusters only.
  const env = stackAndBrowser({ ...everyStack, secondEnvironment: true, catalogCluster: true, allowCatalogCluster: true });
  const EU = SECOND_ENVIRONMENT_CLUSTER;

  /** Alice, signed in to the default Palette by the sign-in page and to the second from the tab's dialog. */
  async function signInToBoth(page: Page) {
    const mark = await signInAndOpenTab(page, env.stack, ALICE.id);
    await signInDialog(page).getByText(SECOND_ENVIRONMENT.title, { exact: true }).first().waitFor();
    await signInFromDialog(page, ALICE.id);
    await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
    await clusterCard(page, EU).getByText('2 pods').waitFor();
    return mark;
  }

  /** The audit lines of each Palette's cluster since `mark`: every one as alice, with a token of that cluster's own issuer. */
  function linesPerEnvironment(mark: number) {
    const lines = readAuditLog(env.stack.auditLogPath).slice(mark);
    return [
      { cluster: 'palette-dev', issuer: env.stack.issuer!.issuer },
      { cluster: EU, issuer: env.stack.secondIssuer!.issuer },
    ].map(({ cluster, issuer }) => {
      const own = lines.filter(line => line.cluster === cluster);
      return { cluster, issuer, own, foreign: own.filter(line => line.tokenIssuer !== issuer || line.user !== ALICE.email || line.code !== 200) };
    });
  }

  it(
    "11. a user of both Palettes signs in to each and sees both clusters' pods; each cluster sees the user from its own issuer only",
    inBrowser(() => env.browser, 'scenario-11', async ({ page, requests }) => {
      const mark = await signInToBoth(page);
      await page.screenshot({ path: path.join(artifacts, '11-two-environments.png'), fullPage: true });

      const perEnvironment = linesPerEnvironment(mark);
      for (const { cluster, own, foreign } of perEnvironment) {
        assert.ok(own.some(line => line.resource === 'pods' && line.code === 200), `${cluster} listed pods`);
        assert.deepEqual(foreign, [], `${cluster} saw only alice with its own issuer's token`);
      }
      // Each token in the objects requests' bodies is of its own provider's issuer.
      const bodies = requests.filter(request => request.url.includes('/api/kubernetes/services/')).map(request => JSON.parse(request.body).auth.oidc);
      const issuerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).iss;
      const expected: [string, string][] = [
        ['spectrocloud', env.stack.issuer!.issuer],
        [SECOND_ENVIRONMENT.tokenProviderName, env.stack.secondIssuer!.issuer],
      ];
      // Before the second sign-in, the request went on without that token ('').
      const sent = bodies.flatMap(oidc => expected.filter(([name]) => oidc[name]).map(([name, issuer]) => ({ name, issuer, actual: issuerOf(oidc[name]) })));
      const crossed = sent.filter(({ issuer, actual }) => issuer !== actual);
      assert.ok(sent.some(({ name }) => name === SECOND_ENVIRONMENT.tokenProviderName));
      assert.deepEqual(crossed, []);
      report('two environments', [
        ...perEnvironment.map(({ cluster, issuer, own }) => `${cluster}: 2 pods; ${own.length} requests, all as ${ALICE.email} with tokens of ${issuer}`),
        `${sent.length} tokens in ${bodies.length} objects requests checked: each under its own environment's name, from its own issuer; none crossed`,
      ]);
    }),
  );

  it(
    '12. a user who dismisses one environment\'s sign-in is told which environment, and sees the other',
    inBrowser(() => env.browser, 'scenario-12', async ({ page }) => {
      await signInAndOpenTab(page, env.stack, ALICE.id);
      await signInDialog(page).getByText(SECOND_ENVIRONMENT.title, { exact: true }).first().waitFor();
      await signInDialog(page).getByRole('button', { name: /reject all/i }).click();
      await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
      await page.getByText('There was a problem retrieving Kubernetes objects').click();
      const message = signInMessage(SECOND_ENVIRONMENT.title);
      await page.getByText(message).first().waitFor();
      await page.screenshot({ path: path.join(artifacts, '12-second-environment-dismissed.png'), fullPage: true });
      report('one environment dismissed', [`palette-dev shows 2 pods; ${EU} says "${message}"`]);
    }),
  );

  it(
    `13. a session across ${LONG_SESSION_LIFETIMES} ID-token lifetimes of both Palettes at once: no prompt, no expired token, both clusters' pods stay`,
    inBrowser(() => env.browser, 'scenario-13', async ({ page }) => {
      const issuers = [env.stack.issuer!, env.stack.secondIssuer!];
      issuers.forEach(issuer => issuer.setTokenLifetime(LONG_SESSION_TTL_SECONDS));
      try {
        const mark = await signInToBoth(page);
        const seconds = LONG_SESSION_LIFETIMES * LONG_SESSION_TTL_SECONDS + 5;
        let podsMissing = 0;
        for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline; await page.waitForTimeout(1000)) {
          for (const cluster of ['palette-dev', EU]) {
            if (!(await clusterCard(page, cluster).getByText('2 pods').isVisible())) podsMissing += 1;
          }
        }
        const dialogs = await countSignInDialogs(page, 1);
        const perEnvironment = linesPerEnvironment(mark);
        for (const { cluster, own, foreign } of perEnvironment) {
          assert.deepEqual(foreign, [], `${cluster}: no expired or foreign token`);
          assert.ok(distinctTokens(own) >= LONG_SESSION_LIFETIMES, `${cluster}: ${distinctTokens(own)} distinct tokens`);
        }
        assert.equal(podsMissing, 0);
        assert.equal(dialogs, 0);
        report('long session, two environments', [
          `tab open ${seconds} s with ID tokens of ${LONG_SESSION_TTL_SECONDS} s from both issuers, no reload`,
          ...perEnvironment.map(({ cluster, own }) => `${cluster}: ${distinctTokens(own)} distinct ID tokens, ${own.length} requests, all answered 200`),
          `prompts 0, pods missing at ${podsMissing} of ${seconds * 2} checks`,
        ]);
      } finally {
        issuers.forEach(issuer => issuer.setTokenLifetime(DEFAULT_TTL_SECONDS));
      }
    }),
  );

  it(
    "14. one browser, two people: once alice signs out on the settings page and bob signs in, no cluster gets a request as alice",
    inBrowser(() => env.browser, 'scenario-14', async ({ page }) => {
      const start = await signInToBoth(page);
      let signedOut = 0;
      await signOutFromSettings(page, env.stack.appUrl, async () => {
        await page.screenshot({ path: path.join(artifacts, '14a-settings-sign-out.png'), fullPage: true, animations: 'disabled' });
        signedOut = readAuditLog(env.stack.auditLogPath).length;
      });
      const beforeSignOut = readAuditLog(env.stack.auditLogPath).slice(start, signedOut);

      // Bob, in the same browser context, signs in and opens the tab; he has
      // no session with the second Palette, and rejects its sign-in.
      await signInWithSpectroCloud(page, env.stack.appUrl, BOB.id);
      await openKubernetesTab(page, env.stack.appUrl);
      // Each sign-in dialog he sees, by the Palettes it names.
      const dialogs: string[] = [];
      let dialogShown = false;
      const shared = clusterCard(page, 'shared-sa').getByText('2 pods');
      // Until the tab shows (within a minute), then one more of its requests.
      let deadline = Date.now() + 60_000;
      let tabShown = false;
      for (; Date.now() < deadline; await page.waitForTimeout(1000)) {
        const dialogVisible = await signInDialog(page).isVisible();
        if (dialogVisible && !dialogShown) {
          const text = (await signInDialog(page).textContent()) ?? '';
          dialogs.push(text.includes(SECOND_ENVIRONMENT.title) ? SECOND_ENVIRONMENT.title : 'SpectroCloud');
          await signInDialog(page).getByRole('button', { name: /reject all/i }).click();
        }
        dialogShown = dialogVisible;
        if (!tabShown && (await shared.isVisible())) {
          tabShown = true;
          deadline = Date.now() + POLL_SECONDS * 1000;
        }
      }
      assert.ok(tabShown, "bob's tab showed shared-sa's pods");
      await page.screenshot({ path: path.join(artifacts, '14b-second-user.png'), fullPage: true });

      const log = readAuditLog(env.stack.auditLogPath);
      const aliceTokens = new Set(log.filter(line => line.user === ALICE.email).map(line => line.tokenFingerprint));
      const afterSignOut = log.slice(signedOut);
      const asAlice = (lines: AuditRecord[]) => lines.filter(line => line.user === ALICE.email || aliceTokens.has(line.tokenFingerprint));
      const aliceAfter = asAlice(afterSignOut);
      const bobAfter = afterSignOut.filter(line => line.user === BOB.email);
      const figures = [
        `before sign-out: ${asAlice(beforeSignOut).length} requests as ${ALICE.email} (${perCluster(asAlice(beforeSignOut))})`,
        `after sign-out: ${aliceAfter.length} requests as ${ALICE.email} or with her tokens (${perCluster(aliceAfter)}); ${bobAfter.length} as ${BOB.email} (${perCluster(bobAfter)})`,
        `sign-in dialogs bob saw (each rejected): ${dialogs.length}${dialogs.length ? ` (${dialogs.join(', ')})` : ''}`,
      ];
      assert.ok(asAlice(beforeSignOut).some(line => line.cluster === EU), `alice reached ${EU} before signing out`);
      assert.ok(bobAfter.length > 0, "bob's tab reached the clusters");
      assert.equal(aliceAfter.length, 0, `requests as alice after she signed out:\n${figures.join('\n')}`);
      report('one browser, two people, sign-out on the settings page', figures);
    }),
  );

  it(
    `16. a catalog-declared cluster whose URL allowedCatalogClusterUrls lists (${CATALOG_CLUSTER}) gets the user's token and shows the pods`,
    inBrowser(() => env.browser, 'scenario-16', async ({ page }) => {
      const mark = await signInAndOpenTab(page, env.stack, ALICE.id);
      await signInDialog(page).getByText(SECOND_ENVIRONMENT.title, { exact: true }).first().waitFor();
      await signInDialog(page).getByRole('button', { name: /reject all/i }).click();
      await clusterCard(page, CATALOG_CLUSTER).getByText('2 pods').waitFor();
      await page.screenshot({ path: path.join(artifacts, '16-allowed-catalog-cluster.png'), fullPage: true });

      const lines = readAuditLog(env.stack.auditLogPath)
        .slice(mark)
        .filter(line => line.cluster === CATALOG_CLUSTER);
      const foreign = lines.filter(line => line.user !== ALICE.email || line.code !== 200 || line.tokenIssuer !== env.stack.issuer!.issuer);
      assert.ok(lines.length > 0);
      assert.deepEqual(foreign, []);
      report('an allowed catalog-declared cluster', [
        `${CATALOG_CLUSTER} at ${env.stack.catalogClusterUrl} (listed in allowedCatalogClusterUrls): 2 pods; ${lines.length} requests, all as ${ALICE.email} with tokens of ${env.stack.issuer!.issuer}`,
      ]);
    }),
  );
});

describe('the published backend auth module with the backend module, in a browser', { timeout: 600_000 }, () => {
  const env = stackAndBrowser({ ...everyStack, idTokenTtlSeconds: SHORT_TTL_SECONDS, authBackend: 'published' });

  /**
   * Alice's view of the Kubernetes tab while her ID token expires: once a
   * second, whether shared-sa shows its pods (also behind a sign-in dialog,
   * which hides the page from roles), and any sign-in dialog, dismissed: she
   * does not sign in again.
   */
  function expiryWatch(page: Page) {
    const shared = page.getByRole('button', { includeHidden: true }).filter({ hasText: /^shared-saCluster/ }).getByText('2 pods');
    const figures = { checks: 0, sharedMissing: 0, dialogs: 0 };
    return {
      figures,
      async check() {
        figures.checks += 1;
        if (!(await shared.isVisible())) figures.sharedMissing += 1;
        if (await signInDialog(page).isVisible()) {
          figures.dialogs += 1;
          await signInDialog(page).getByRole('button', { name: /reject all/i }).click();
        }
      },
    };
  }

  /** The fingerprint and expiry of the token palette-dev got since `mark` that is not one of `known`. */
  function newPaletteDevToken(mark: number, known: string[] = []) {
    const line = readAuditLog(env.stack.auditLogPath)
      .slice(mark)
      .find(l => l.cluster === 'palette-dev' && l.tokenFingerprint && l.tokenExpiresAt && !known.includes(l.tokenFingerprint));
    assert.ok(line, "palette-dev got alice's token");
    return { fingerprint: line.tokenFingerprint!, expiresAt: Date.parse(line.tokenExpiresAt!) };
  }

  it(
    '17. an ID token that expires and is not renewed: palette-dev gets no expired token and says what to do; shared-sa keeps its pods throughout',
    inBrowser(() => env.browser, 'scenario-17', async ({ page }) => {
      // Alice is a guest in the app and signs in to SpectroCloud from the tab,
      // so that her app session outlives the ID token: with this backend auth
      // module, an app session made with SpectroCloud ends with the ID token
      // (scenarios 4 and 8).
      await enterAsGuest(page, env.stack.appUrl);
      const mark = readAuditLog(env.stack.auditLogPath).length;
      await openKubernetesTab(page, env.stack.appUrl);
      await signInFromDialog(page, ALICE.id);
      await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
      await clusterCard(page, 'shared-sa').getByText('2 pods').waitFor();
      const token = newPaletteDevToken(mark);

      // The tab stays open, with no reload, a check a second, until two of its
      // requests after the expiry.
      const watch = expiryWatch(page);
      let message = '';
      // What palette-dev said, in order, each once (its clock readings aside).
      const said: string[] = [];
      for (const deadline = token.expiresAt + (2 * POLL_SECONDS + 2) * 1000; Date.now() < deadline; await page.waitForTimeout(1000)) {
        await watch.check();
        message = await clusterErrorText(page, 'palette-dev', 0);
        const gist = message.replace(/\(backend clock: [^)]*\)/, '(backend clock: …)');
        if (gist && said.at(-1) !== gist) said.push(gist);
      }
      await page.screenshot({ path: path.join(artifacts, '17-expired-not-renewed.png'), fullPage: true });

      const { lines, unauthorized } = oidcClusterLines(env.stack, mark);
      const own = lines.filter(line => line.tokenFingerprint === token.fingerprint);
      const expired = lines.filter(line => line.tokenExpiresAt && Date.parse(line.tokenExpiresAt) <= Date.parse(line.time));
      const { checks, sharedMissing, dialogs } = watch.figures;
      const figures = [
        `ID tokens of ${SHORT_TTL_SECONDS} s; alice's (a guest in the app) expired at ${new Date(token.expiresAt).toISOString()}; tab open ${Math.round((Date.now() - token.expiresAt) / 1000)} s past it, no reload`,
        `shared-sa: 2 pods missing at ${sharedMissing} of ${checks} checks; sign-in dialogs ${dialogs}`,
        `palette-dev: ${own.length} requests with her token; with an expired token ${expired.length}, 401s ${unauthorized.length}`,
        `palette-dev's entry in the warning panel, in turn: ${said.map(text => `"${text.slice(0, 300)}"`).join(', then ') || 'none'}`,
      ];
      assert.equal(sharedMissing, 0, `shared-sa's pods went missing:\n${figures.join('\n')}`);
      assert.equal(expired.length + unauthorized.length, 0, `palette-dev got expired tokens:\n${figures.join('\n')}`);
      // The backend refuses the token as it nears its exp ("expires at …"); once
      // the session has ended, the request carries none ("Sign in with …").
      assert.match(message, new RegExp(`${signInMessage('SpectroCloud').replace('.', '\\.')}|expire`), `palette-dev's own message:\n${figures.join('\n')}`);
      report('an ID token that expires and is not renewed (published backend auth module, backend module)', figures);
    }),
  );
});
