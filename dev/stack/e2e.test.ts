// The whole authentication flow in headless Chromium (Debian's, driven by
// playwright-core): npm run e2e. Each scenario saves a screenshot under
// .e2e-artifacts/ and prints what it verified.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

import { ALICE, BOB, CLIENT_ID, COMPONENT, READER_GROUP } from './demo.ts';
import { readAuditLog, tokenFingerprint } from './kube-apiserver/auditLog.ts';
import { startStack, type Stack } from './stack.ts';

const rootDir = path.resolve(fileURLToPath(import.meta.url), '../../..');
const artifacts = path.join(rootDir, '.e2e-artifacts');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHORT_TTL_SECONDS = 15;

if (!fs.existsSync(chromiumPath)) {
  throw new Error(`No Chromium at ${chromiumPath}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);
}
fs.mkdirSync(artifacts, { recursive: true });

const report = (scenario: string, lines: string[]) => console.log([`✓ ${scenario}`, ...lines.map(line => `    ${line}`)].join('\n'));

function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

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

async function signInWithSpectroCloud(page: Page, appUrl: string, userId: string) {
  await page.goto(appUrl);
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: /sign in/i }).first().click()]);
  await popup.locator(`button[value="${userId}"]`).click();
  await page.getByRole('link', { name: 'Catalog' }).first().waitFor();
}

async function openKubernetesTab(page: Page, appUrl: string) {
  await page.goto(`${appUrl}/catalog/default/component/${COMPONENT}/kubernetes`);
}

const clusterCard = (page: Page, name: string) => page.getByRole('button').filter({ hasText: new RegExp(`^${name}Cluster`) });

describe('SpectroCloud sign-in to Kubernetes, in a browser', { timeout: 600_000 }, () => {
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    stack = await startStack();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it(
    "1. the permitted user sees the OIDC cluster's pods as themselves",
    inBrowser(() => browser, 'scenario-1', async ({ page }) => {
      const mark = readAuditLog(stack.auditLogPath).length;
      await signInWithSpectroCloud(page, stack.appUrl, ALICE.id);
      await openKubernetesTab(page, stack.appUrl);
      await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
      await page.screenshot({ path: path.join(artifacts, '1-permitted-user.png'), fullPage: true });

      const oidcLines = readAuditLog(stack.auditLogPath)
        .slice(mark)
        .filter(line => line.cluster === 'palette-dev');
      assert.ok(oidcLines.some(line => line.resource === 'pods' && line.verb === 'list' && line.code === 200));
      for (const line of oidcLines) {
        assert.equal(line.user, ALICE.email);
        assert.ok(line.groups?.includes(READER_GROUP));
        assert.equal(line.tokenAlg, 'RS256');
        assert.equal(line.tokenIssuer, stack.issuer!.issuer);
        assert.deepEqual([line.tokenAudience].flat(), [CLIENT_ID]);
      }
      report('permitted user', [
        'palette-dev shows 2 pods',
        `${oidcLines.length} palette-dev requests, all as ${ALICE.email} (groups ${oidcLines[0].groups!.join(', ')})`,
        `each carried an RS256 token from ${stack.issuer!.issuer} for client ${CLIENT_ID}`,
      ]);
    }),
  );

  it(
    '2. the user without a binding is denied on the OIDC cluster; the service-account cluster still shows',
    inBrowser(() => browser, 'scenario-2', async ({ page }) => {
      const mark = readAuditLog(stack.auditLogPath).length;
      await signInWithSpectroCloud(page, stack.appUrl, BOB.id);
      await openKubernetesTab(page, stack.appUrl);
      await clusterCard(page, 'shared-sa').getByText('2 pods').waitFor();
      await clusterCard(page, 'palette-dev').getByText('0 pods').waitFor();
      // The Kubernetes tab folds cluster errors into a warning panel.
      await page.getByText('There was a problem retrieving Kubernetes objects').click();
      const denied = page.getByText(/403|forbidden/i).first();
      await denied.waitFor();
      await page.screenshot({ path: path.join(artifacts, '2-denied-user.png'), fullPage: true });
      const shown = ((await denied.textContent()) ?? '').trim();

      const oidcLines = readAuditLog(stack.auditLogPath)
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
    '3. a guest is asked for SpectroCloud sign-in, and dismissing it says so',
    inBrowser(() => browser, 'scenario-3', async ({ page }) => {
      await page.goto(stack.appUrl);
      await page.getByRole('button', { name: /enter/i }).click();
      await page.getByRole('link', { name: 'Catalog' }).first().waitFor();
      await openKubernetesTab(page, stack.appUrl);
      const dialog = page.getByRole('dialog');
      await dialog.getByText('SpectroCloud', { exact: true }).waitFor();
      await page.screenshot({ path: path.join(artifacts, '3a-sign-in-requested.png'), fullPage: true });
      await dialog.getByRole('button', { name: /reject all/i }).click();
      // The Kubernetes tab folds the error into a warning panel.
      await page.getByText('There was a problem retrieving Kubernetes objects').click();
      const message = page.getByText(/SpectroCloud sign-in is required/).first();
      await message.waitFor();
      await page.waitForTimeout(500); // let the panel finish expanding for the screenshot
      await page.screenshot({ path: path.join(artifacts, '3b-sign-in-dismissed.png'), fullPage: true });
      const shown = ((await message.textContent()) ?? '').trim();
      report('not signed in to SpectroCloud', [
        'the Kubernetes tab opened a "Login Required" dialog for SpectroCloud',
        `after "Reject all" it shows: ${shown.slice(0, 160)}`,
      ]);
    }),
  );

  it(
    "5. the token goes only to the backend's Kubernetes routes, never into a URL or the console",
    inBrowser(() => browser, 'scenario-5', async ({ page, requests, consoleLines, idTokens }) => {
      await signInWithSpectroCloud(page, stack.appUrl, ALICE.id);
      await openKubernetesTab(page, stack.appUrl);
      await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
      await page.screenshot({ path: path.join(artifacts, '5-token-isolation.png'), fullPage: true });

      assert.ok(idTokens.size > 0, 'the page received an ID token');
      const holdsToken = (text: string) => [...idTokens].some(token => text.includes(token));
      const carrying = requests.filter(r => holdsToken(r.url) || holdsToken(r.body) || Object.values(r.headers).some(holdsToken));
      const kubernetesRoutes = `${stack.backendUrl}/api/kubernetes/`;
      for (const request of carrying) {
        assert.equal(holdsToken(request.url), false, `token in URL of ${request.url.split('?')[0]}`);
        if (request.url.startsWith(kubernetesRoutes)) continue;
        // The backend auth module keeps the ID token in its own httpOnly refresh
        // cookie, which the browser sends back only to that provider's routes.
        assert.ok(request.url.startsWith(`${stack.backendUrl}/api/auth/spectrocloud/`), `token sent to ${request.url.split('?')[0]}`);
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
    inBrowser(() => browser, 'scenario-6', async ({ page }) => {
      const mark = readAuditLog(stack.auditLogPath).length;
      await signInWithSpectroCloud(page, stack.appUrl, ALICE.id);
      await openKubernetesTab(page, stack.appUrl);
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

      const logLines = readAuditLog(stack.auditLogPath)
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
});

describe('an expired SpectroCloud ID token, in a browser', { timeout: 300_000 }, () => {
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    stack = await startStack({ idTokenTtlSeconds: SHORT_TTL_SECONDS });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it(
    '4. after expiry the user is asked to sign in again (the backend auth module cannot refresh)',
    inBrowser(() => browser, 'scenario-4', async ({ page, idTokens }) => {
      await signInWithSpectroCloud(page, stack.appUrl, ALICE.id);
      await openKubernetesTab(page, stack.appUrl);
      await clusterCard(page, 'palette-dev').getByText('2 pods').waitFor();
      await page.waitForTimeout((SHORT_TTL_SECONDS + 3) * 1000);
      await page.reload();
      const signIn = page.getByRole('button', { name: /sign in/i }).first();
      await signIn.waitFor();
      await page.screenshot({ path: path.join(artifacts, '4-expired-token.png'), fullPage: true });

      const alice = readAuditLog(stack.auditLogPath).filter(line => line.cluster === 'palette-dev' && line.user === ALICE.email);
      const tokens = new Set(alice.map(line => line.tokenFingerprint));
      assert.equal(tokens.size, 1);
      assert.equal(new Set([...idTokens].map(tokenFingerprint)).size, 1);
      report('expired token', [
        `ID token lifetime ${SHORT_TTL_SECONDS} s; after ${SHORT_TTL_SECONDS + 3} s and a reload the app shows the sign-in page again`,
        `the audit log holds ${tokens.size} token for alice: the backend auth module's refresh re-serves the first ID token until it expires and never asks the issuer for a new one`,
      ]);
    }),
  );
});
