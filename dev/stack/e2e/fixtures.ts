// What the browser scenarios share: a stack per spec file, started once per
// worker on ports of its own; a page whose requests, console lines and ID
// tokens are recorded; the steps and figures the scenarios are made of.
import path from 'node:path';

import { test as base, type Page } from '@playwright/test';

import { clusterCard, signInDialog, signInFromDialog, signInWithSpectroCloud } from '../../lib/browser.ts';
import { ALICE, COMPONENT } from '../../lib/demo.ts';
import { readAuditLog, type AuditRecord } from '../kube-apiserver/auditLog.ts';
import { startStack, type Stack, type StackOptions } from '../stack.ts';

// Long enough for a sign-in on a loaded machine to leave a sendable token.
export const SHORT_TTL_SECONDS = 30;
// A long session: the tab stays open, with no reload, across three lifetimes
// of ID tokens this short (the tab polls every 10 s).
export const LONG_SESSION_TTL_SECONDS = 20;
export const LONG_SESSION_LIFETIMES = 3;
export const LONG_SESSION_SECONDS = LONG_SESSION_LIFETIMES * LONG_SESSION_TTL_SECONDS + 5;
export const DEFAULT_TTL_SECONDS = 3600;
// The tab polls every 10 s: one more of its requests comes within this.
export const POLL_SECONDS = 12;
// What the backend module says for a cluster whose request came without a
// token (backend/src/strategies.ts, which its tests check): imported, it would
// bring the Kubernetes backend into every worker.
export const signInMessage = (title: string) => `Sign in with ${title} to see this cluster's resources: the Kubernetes access page has a button for it.`;
const REFRESH_PATH = '/api/auth/spectrocloud/refresh';

export type CapturedRequest = { url: string; headers: Record<string, string>; body: string };

/**
 * The `test` of a spec file whose scenarios share one stack, started with
 * `options` once per worker: worker n serves the app on APP_PORT + n and the
 * backend on BACKEND_PORT + n (3400 and 7400 unless set).
 */
export function stackTest(options: StackOptions) {
  return base.extend<{ recorded: { requests: CapturedRequest[]; consoleLines: string[]; idTokens: Set<string> } }, { stack: Stack }>({
    stack: [
      async ({}, use, { parallelIndex }) => {
        const started = Date.now();
        const stack = await startStack({
          appPort: Number(process.env.APP_PORT || 3400) + parallelIndex,
          backendPort: Number(process.env.BACKEND_PORT || 7400) + parallelIndex,
          // The strictest Palette the README's path works with (docs/backend.md, "Palettes that differ").
          paletteVariant: { emailVerified: 'absent' },
          ...options,
        });
        console.log(`stack ${JSON.stringify(options)} up in ${Math.round((Date.now() - started) / 1000)} s at ${stack.appUrl}`);
        await use(stack).finally(stack.stop);
      },
      { scope: 'worker', timeout: 600_000 },
    ],
    recorded: async ({ context, page }, use) => {
      const recorded = { requests: [] as CapturedRequest[], consoleLines: [] as string[], idTokens: new Set<string>() };
      context.on('request', async request => {
        recorded.requests.push({ url: request.url(), headers: await request.allHeaders().catch(() => ({})), body: request.postData() ?? '' });
      });
      context.on('response', async response => {
        // Every SpectroCloud provider's: the default one and each environment's.
        const session = /\/api\/auth\/[^/]+\/refresh/.test(response.url()) && response.ok() ? await response.json().catch(() => undefined) : undefined;
        if (session?.providerInfo?.idToken) recorded.idTokens.add(session.providerInfo.idToken);
      });
      page.on('console', message => recorded.consoleLines.push(message.text()));
      await use(recorded);
    },
  });
}

/** Prints what a scenario verified, and keeps it in the test's annotations. */
export function report(scenario: string, lines: string[]) {
  console.log([`✓ ${scenario}`, ...lines.map(line => `    ${line}`)].join('\n'));
  base.info().annotations.push(...lines.map(description => ({ type: scenario, description })));
}

/** Saves the whole page as `<name>.png` in the artifacts folder. */
export const shot = (page: Page, name: string, animations?: 'disabled') =>
  page.screenshot({ path: path.join(base.info().project.outputDir, `${name}.png`), fullPage: true, animations });

export const pods = (page: Page, cluster = 'palette-dev', count = 2) => clusterCard(page, cluster).getByText(`${count} pods`);
export const rejectSignIn = (page: Page) => signInDialog(page).getByRole('button', { name: /reject all/i }).click();
/** The Kubernetes tab folds cluster errors into a warning panel. */
export const openWarnings = (page: Page) => page.getByText('There was a problem retrieving Kubernetes objects').click();
export const openKubernetesTab = (page: Page, stack: Stack) => page.goto(`${stack.appUrl}/catalog/default/component/${COMPONENT}/kubernetes`);
/** The audit lines written since `mark`, of `cluster` if given. */
export const auditSince = (stack: Stack, mark = 0, cluster?: string): AuditRecord[] =>
  readAuditLog(stack.auditLogPath).slice(mark).filter(line => !cluster || line.cluster === cluster);
/** The audit lines palette-dev wrote since `mark`, and the ones it refused. */
export function oidcClusterLines(stack: Stack, mark: number) {
  const lines = auditSince(stack, mark, 'palette-dev');
  return { lines, unauthorized: lines.filter(line => line.code === 401) };
}
export const distinctTokens = (lines: AuditRecord[]) => new Set(lines.map(line => line.tokenFingerprint)).size;

/** Signs `userId` in and opens the Kubernetes tab; returns the audit log's length before, to read what the tab caused. */
export async function signInAndOpenTab(page: Page, stack: Stack, userId: string): Promise<number> {
  const mark = auditSince(stack).length;
  await signInWithSpectroCloud(page, stack.appUrl, userId);
  await openKubernetesTab(page, stack);
  return mark;
}

/** The requests that hold one of `idTokens` in their URL, body or headers; and the test for one text. */
export function carryingToken(requests: CapturedRequest[], idTokens: Set<string>) {
  const holdsToken = (text: string) => [...idTokens].some(token => text.includes(token));
  return { holdsToken, carrying: requests.filter(r => holdsToken(r.url) || holdsToken(r.body) || Object.values(r.headers).some(holdsToken)) };
}

export const refreshCalls = (requests: CapturedRequest[], from = 0) => requests.slice(from).filter(request => request.url.includes(REFRESH_PATH)).length;
const objectsRequests = (requests: CapturedRequest[]) => requests.filter(request => request.url.includes('/api/kubernetes/services/')).length;

/** Watches the tab through its next `polls` objects requests (one each 10 s), counting the times the SpectroCloud sign-in dialog comes up. */
export async function dialogsOverPolls(page: Page, requests: CapturedRequest[], polls: number) {
  const [started, from] = [Date.now(), objectsRequests(requests)];
  const { prompts: dialogs } = await keepTabOpen(page, (polls + 1) * POLL_SECONDS, { clusters: [], until: () => objectsRequests(requests) - from >= polls });
  return { dialogs, polls: objectsRequests(requests) - from, seconds: Math.round((Date.now() - started) / 1000) };
}

/**
 * Waits for palette-dev's pods once alice has signed in, and returns how many
 * times she did. With a backend that cannot renew, a loaded machine can spend
 * so much of a short ID token's life opening the tab that the module will not
 * send it and asks again; she answers, as a user would.
 */
export async function podsAfterSignIn(page: Page): Promise<number> {
  for (let signIns = 1; ; signIns += 1) {
    await pods(page).or(signInDialog(page)).first().waitFor();
    if (!(await signInDialog(page).isVisible())) return signIns;
    if (signIns === 3) throw new Error(`Asked to sign in ${signIns} times before palette-dev showed its pods.`);
    await signInFromDialog(page, ALICE.id);
  }
}

/** Alice with palette-dev's pods on the tab, at the start of a long session: where the audit log and the captured requests stand. */
export async function startLongSession(page: Page, stack: Stack, requests: CapturedRequest[]) {
  const mark = await signInAndOpenTab(page, stack, ALICE.id);
  const signIns = await podsAfterSignIn(page);
  return { mark, refreshMark: requests.length, signIns };
}

/**
 * Leaves the Kubernetes tab open for `seconds`, or until `until()`, with no
 * reload. Once a second it looks for the SpectroCloud sign-in dialog, counting
 * each time it comes up and handing it to `onPrompt`, and whether `clusters`
 * show their pods.
 */
export async function keepTabOpen(page: Page, seconds: number, { onPrompt, until, clusters = ['palette-dev'] }: { onPrompt?: () => Promise<void>; until?: () => boolean; clusters?: string[] } = {}) {
  const figures = { prompts: 0, podsMissing: 0, checks: 0 };
  let dialogShown = false;
  for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline && !until?.(); await page.waitForTimeout(1000)) {
    const dialogVisible = await signInDialog(page).isVisible();
    if (dialogVisible && !dialogShown) {
      figures.prompts += 1;
      await onPrompt?.();
    }
    dialogShown = dialogVisible && !onPrompt;
    for (const cluster of clusters) {
      figures.checks += 1;
      if (!(await pods(page, cluster).isVisible())) figures.podsMissing += 1;
    }
  }
  return figures;
}

/**
 * What the tab's warning panel says about cluster `name` (the lines of its
 * "Cluster: <name>" entry), opening the panel if closed; '' when it says
 * nothing about that cluster within `timeoutMs` (0: look once).
 */
export async function clusterErrorText(page: Page, name: string, timeoutMs: number): Promise<string> {
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

/** Opens the Kubernetes access page from the app's navigation: no reload. */
export const openAccessPage = (page: Page) => page.getByRole('link', { name: 'Kubernetes access' }).click();
/** The access page's row of cluster `name`. */
export const accessRow = (page: Page, name: string) => page.getByRole('row', { name, exact: true });

/** The ID tokens the app sent the Kubernetes backend: in the tab's objects requests, and in proxy requests' headers. */
export function sentIdTokens(requests: CapturedRequest[]): Set<string> {
  const inBodies = requests.filter(r => r.url.includes('/api/kubernetes/services/')).flatMap(r => Object.values<string>(JSON.parse(r.body).auth?.oidc ?? {}));
  const inHeaders = requests.flatMap(r => Object.entries(r.headers).filter(([name]) => name.startsWith('backstage-kubernetes-authorization-oidc-')).map(([, value]) => value));
  return new Set([...inBodies, ...inHeaders].filter(Boolean));
}

/** Where any of `idTokens` shows up outside the Kubernetes backend's routes: the page's HTML, its console lines, a request URL. */
export async function tokenShown(page: Page, { requests, consoleLines, idTokens }: { requests: CapturedRequest[]; consoleLines: string[]; idTokens: Set<string> }) {
  const { holdsToken } = carryingToken(requests, idTokens);
  return { page: holdsToken(await page.content()), console: consoleLines.filter(holdsToken).length, urls: requests.filter(r => holdsToken(r.url)).length };
}
