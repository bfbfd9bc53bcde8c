// npm run test:adopt: what only a new user's own app proves. An app is
// generated with @backstage/create-app on Node 22 and pinned to create-app's
// release as its yarn.lock seed would pin it (templatePins.ts); the frontend
// and backend modules, packed from a clean clone of HEAD (or the tarballs
// SPECTROCLOUD_PACKAGE_TARBALL and SPECTROCLOUD_BACKEND_MODULE_TARBALL name),
// are added and wired by the README's snippets alone; yarn's account of the
// app (`yarn info`, `yarn why`) must show no second copy of any @backstage
// package that either package brings; the app type-checks and runs against
// the dev stack's SpectroCloud issuer and Kubernetes API stand-ins. In
// headless Chromium, a guest on create-app's own sign-in page answers the
// Kubernetes tab's SpectroCloud dialog as alice and sees palette-dev's pods.
// The browser test (npm run e2e) proves the other users and scenarios.
//
// The README's three `yarn add`s run as written, with each tarball standing
// in for its package's name and with --mode=update-lockfile; one `yarn
// install` then installs what the three would have.
//
//   CREATE_APP_VERSION=latest   generate with the newest create-app
//   APP_PORT, BACKEND_PORT      the generated app's ports (3300, 7300)
//   CHROMIUM_PATH               default /usr/bin/chromium
//   SPECTROCLOUD_PACKAGE_TARBALL, SPECTROCLOUD_BACKEND_MODULE_TARBALL
//                               install these tarballs instead of packing
//   KEEP_TEMP=1                 keep the scratch directory (app, logs)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import type { Browser } from '@playwright/test';
import { stringify } from 'yaml';

import { clusterCard, DEFAULT_CHROMIUM_PATH, enterAsGuest, launchBrowser, signInFromDialog } from '../lib/browser.ts';
import { waitForCatalog } from '../lib/catalog.ts';
import { ALICE, COMPONENT, READER_GROUP } from '../lib/demo.ts';
import { PieceError } from '../lib/errors.ts';
import { HOST } from '../lib/loopback.ts';
import { packageTarball } from '../lib/pack.ts';
import { assertPortFree, run, stopAllProcesses } from '../lib/processes.ts';
import { readDocumentSnippets, snippet } from '../lib/snippets.ts';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../lib/temporaryDirectory.ts';
import { readAuditLog } from '../stack/kube-apiserver/auditLog.ts';
import { paletteVariables, startStandIns, type StandIns } from '../stack/standIns.ts';
import { addBeforeBackendStart, addToAppConfig, APP_NODE_MAJOR, createBackstageApp, PINNED_CREATE_APP_VERSION, startWorkspacePackage, writeFileSnippet } from './generatedApp.ts';
import { installedPackages, nameOf, packagesBroughtBy, secondCopies, yarn } from './installedPackages.ts';
import { Steps } from './steps.ts';
import { pinAppToTemplate } from './templatePins.ts';
import { betterSqlitePrebuild, installToolchain } from './toolchain.ts';

const repoDir = path.resolve(import.meta.dirname, '../..');
const PACKAGE_DIRS = ['.', 'backend'] as const;
const PALETTE_DEV_PODS = '2 pods';

const createAppVersion = process.env.CREATE_APP_VERSION || PINNED_CREATE_APP_VERSION;
const appPort = Number(process.env.APP_PORT || 3300);
const backendPort = Number(process.env.BACKEND_PORT || 7300);
const chromiumPath = process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
const appUrl = `http://${HOST}:${appPort}`;
const backendUrl = `http://${HOST}:${backendPort}`;

const steps = new Steps();

async function main(): Promise<string> {
  const { registry, createAppResolved } = await steps.run('check Chromium, dev/stack, ports and the registry', checkPrerequisites);
  const scratch = createTemporaryDirectory('adopt');
  const log = (name: string) => path.join(scratch, 'logs', `${name}.log`);
  fs.mkdirSync(path.join(scratch, 'logs'));
  steps.note(`scratch directory ${scratch} (logs in logs/; KEEP_TEMP=1 keeps it)`);
  let standIns: StandIns | undefined;
  let browser: Browser | undefined;
  try {
    const [{ env, nodeVersion }, tarballs] = await Promise.all([
      steps.run(`install Node ${APP_NODE_MAJOR} and Yarn`, () => installToolchain({ dir: scratch, nodeMajor: APP_NODE_MAJOR, registry, logFile: log('toolchain') })),
      steps.run('pack both packages from a clean clone of HEAD, unless CI packed them', async () => {
        const packed = await Promise.all(PACKAGE_DIRS.map(packageDir => packageTarball({ repoDir, dir: fs.mkdtempSync(path.join(scratch, 'pack-')), from: 'HEAD', packageDir, logFile: log(`pack-${packageDir === '.' ? 'frontend' : 'backend'}`) })));
        packed.forEach(({ tarball, files }) => steps.note(`${path.basename(tarball)}: ${files.length} files`));
        return Object.fromEntries(PACKAGE_DIRS.map((dir, i) => [JSON.parse(fs.readFileSync(path.join(repoDir, dir, 'package.json'), 'utf8')).name as string, packed[i].tarball]));
      }),
    ]);
    const appDir = await steps.run(`generate an app with @backstage/create-app@${createAppResolved} (--skip-install)`, () =>
      createBackstageApp({ version: createAppResolved, dir: scratch, env, logFile: log('create-app') }),
    );
    const backstageVersion = JSON.parse(fs.readFileSync(path.join(appDir, 'backstage.json'), 'utf8')).version;
    steps.note(`Backstage ${backstageVersion}, Node ${nodeVersion}`);
    const yarnOptions = { cwd: appDir, env };
    const rounds = await steps.run("pin the app to create-app's release, as its yarn.lock seed would (resolving only)", () => pinAppToTemplate({ appDir, env, logFile: log('pin') }));
    steps.note(`the @backstage pins settled in ${rounds} rounds of resolving`);
    // The app as generated: what the packages must not bring second copies of.
    const appPackages = await installedPackages(yarnOptions, '@backstage/*');

    const snippets = readDocumentSnippets(repoDir);
    const runSnippet = (name: string) => {
      let command = snippet(snippets, name).replace(/^(yarn .* add .*)$/gm, '$1 --mode=update-lockfile');
      for (const [pkg, tarball] of Object.entries(tarballs)) command = command.replaceAll(pkg, `${pkg}@file:${tarball}`);
      return run('bash', ['-euo', 'pipefail', '-c', command], { cwd: appDir, env, logFile: log('readme') });
    };
    await steps.run('README "The app": install-yarn, app-config; sign-in-page type-checked, sign-in-page-app applies', async () => {
      await runSnippet('install-yarn');
      addToAppConfig(appDir, snippet(snippets, 'app-config'));
      // The README's path keeps create-app's sign-in page, with guests; the
      // SpectroCloud sign-in page of docs/app.md is written for yarn tsc to
      // check, and its App.tsx change checked to apply, but not applied.
      writeFileSnippet(appDir, snippets, 'sign-in-page');
      fs.writeFileSync(path.join(scratch, 'sign-in-page-app.diff'), `${snippet(snippets, 'sign-in-page-app')}\n`);
      await run('git', ['apply', '--check', '--recount', path.join(scratch, 'sign-in-page-app.diff')], { cwd: appDir, env, logFile: log('readme') });
    });
    await steps.run('README "The backend": backend-oidc-install, backend-oidc-module, backend-oidc-index, backend-oidc-config', async () => {
      await runSnippet('backend-oidc-install');
      writeFileSnippet(appDir, snippets, 'backend-oidc-module');
      addBeforeBackendStart(appDir, snippet(snippets, 'backend-oidc-index'));
      addToAppConfig(appDir, snippet(snippets, 'backend-oidc-config'));
    });
    await steps.run('README "The Kubernetes backend": backend-module-install, backend-module-index', async () => {
      await runSnippet('backend-module-install');
      addBeforeBackendStart(appDir, snippet(snippets, 'backend-module-index'));
    });
    await steps.run('no second copy of any @backstage package from either package (yarn info, yarn why)', async () => {
      const problems: string[] = [];
      for (const name of Object.keys(tarballs)) {
        const copies = secondCopies(await packagesBroughtBy(name, yarnOptions), appPackages);
        steps.note(`${name}: ${copies.length} second copies of the app's @backstage packages${copies.length ? ` (${copies.join(', ')})` : ''}`);
        for (const pkg of copies) problems.push(`${name} brings ${pkg}, beside the app's ${[...appPackages].find(p => nameOf(p) === nameOf(pkg))}; yarn why:\n${(await yarn(['why', nameOf(pkg)], yarnOptions)).trimEnd()}`);
      }
      if (problems.length) throw new PieceError('second copies', `the packages bring second copies of the app's @backstage packages: lower their ranges to the app's versions\n\n${problems.join('\n\n')}`);
    });
    await steps.run('yarn install: what the three `yarn add`s would have installed', async () => {
      const prebuild = betterSqlitePrebuild({ appDir, dir: scratch, env });
      steps.note(Object.keys(prebuild).length ? "better-sqlite3: the repository's build of the same version, as a local prebuild" : 'better-sqlite3: compiled (no matching local prebuild)');
      await run('yarn', ['install'], { cwd: appDir, env: { ...env, ...prebuild }, logFile: log('install') });
    });

    const auditLogPath = path.join(scratch, 'kube-audit.log');
    standIns = await steps.run('start the SpectroCloud issuer and Kubernetes API stand-ins', () =>
      // A Palette that leaves email_verified out: the strictest the README's path works with.
      startStandIns({ backendUrl, auditLogPath, issuerOptions: { variant: { emailVerified: 'absent' } }, log: line => fs.appendFileSync(log('stand-ins'), `${line}\n`) }),
    );
    const appEnv = { ...env, ...paletteVariables('SPECTROCLOUD', standIns.issuer, standIns.clientSecret), AUTH_SESSION_SECRET: randomBytes(32).toString('base64url') };
    writeLocalConfig(appDir, standIns);
    await Promise.all([
      steps.run('type-check the app (yarn tsc)', () => run('yarn', ['tsc'], { cwd: appDir, env, logFile: log('tsc') })),
      steps.run("start the app's backend", async () => {
        await startWorkspacePackage('backend', { appDir, env: appEnv, logFile: log('backend'), readyUrl: `${backendUrl}/.backstage/health/v1/readiness`, failedWhen: /Backend startup failed[^\n]*(\n[^\n]*){0,2}/ });
        await waitForCatalog(backendUrl, { timeoutMs: 2 * 60_000, logFile: log('backend') });
      }),
      steps.run("start the app's frontend (dev server)", () => startWorkspacePackage('app', { appDir, env: appEnv, logFile: log('app'), readyUrl: appUrl })),
    ]);
    browser = await launchBrowser(chromiumPath);
    await steps.run(`Chromium: a guest signs in with SpectroCloud as ${ALICE.id} and sees palette-dev's pods`, () => guestSeesPodsAsAlice(browser!, auditLogPath, scratch));
    return `create-app ${createAppResolved} (Backstage ${backstageVersion}), Node ${nodeVersion}`;
  } finally {
    await steps.run('stop the app and the stand-ins; remove the scratch directory', async () => {
      await browser?.close().catch(() => {});
      await stopAllProcesses();
      await standIns?.close();
      removeTemporaryDirectory(scratch);
    });
  }
}

/**
 * On create-app's sign-in page a guest enters, opens the example component's
 * Kubernetes tab and answers its SpectroCloud dialog as alice: palette-dev
 * shows her pods, and its audit log shows her, with her groups, and no one
 * else. On failure, a screenshot and what the page showed.
 */
async function guestSeesPodsAsAlice(browser: Browser, auditLogPath: string, scratch: string) {
  const mark = readAuditLog(auditLogPath).length;
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  context.setDefaultTimeout(90_000);
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', message => void (message.type() === 'error' && consoleErrors.push(message.text())));
  try {
    await enterAsGuest(page, appUrl);
    await page.goto(`${appUrl}/catalog/default/component/${COMPONENT}/kubernetes`);
    await signInFromDialog(page, ALICE.id);
    await clusterCard(page, 'palette-dev').getByText(PALETTE_DEV_PODS).waitFor();
  } catch (error) {
    const screenshot = path.join(scratch, `${ALICE.id}-failed.png`);
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
    const shown = ((await page.locator('body').innerText().catch(() => '')) || '').replace(/\s+/g, ' ').slice(0, 600);
    throw new PieceError(ALICE.id, `${(error as Error).message.split('\n')[0]}\n  page ${page.url()} showed: ${shown}\n  console errors: ${consoleErrors.slice(-5).join(' | ') || 'none'}\n  screenshot: ${screenshot} (KEEP_TEMP=1 keeps it)`);
  } finally {
    await context.close();
  }
  const lines = readAuditLog(auditLogPath).slice(mark).filter(line => line.cluster === 'palette-dev');
  const listedPods = lines.some(line => line.resource === 'pods' && line.verb === 'list' && line.code === 200);
  if (!listedPods || lines.some(line => line.user !== ALICE.email || !line.groups?.includes(READER_GROUP))) {
    throw new PieceError(ALICE.id, `the audit log of palette-dev does not show ${ALICE.email} (${READER_GROUP}) alone listing pods: ${JSON.stringify(lines.slice(0, 5))}`);
  }
  steps.note(`palette-dev shows ${PALETTE_DEV_PODS}; ${lines.length} palette-dev requests in the audit log, all as ${ALICE.email} (${READER_GROUP})`);
}

/** Fails fast, before minutes of installing, on what would fail later. */
async function checkPrerequisites(): Promise<{ registry: string; createAppResolved: string }> {
  if (!fs.existsSync(chromiumPath)) throw new PieceError('prerequisites', `no Chromium at ${chromiumPath}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  await assertPortFree(appPort, 'app', 'APP_PORT');
  await assertPortFree(backendPort, 'backend', 'BACKEND_PORT');
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
  let versions: string;
  try {
    versions = execFileSync('npm', ['view', '--fetch-retries=0', `@backstage/create-app@${createAppVersion}`, 'version'], { encoding: 'utf8', stdio: 'pipe', timeout: 60_000 });
  } catch (error) {
    const reason = ((error as { stderr?: string }).stderr || (error as Error).message).trim().split('\n').slice(0, 3).join(' ');
    throw new PieceError('prerequisites', `the npm registry ${registry} does not answer for @backstage/create-app@${createAppVersion}: ${reason}`);
  }
  const createAppResolved = versions.trim().split('\n').pop()!.replace(/^.* '?([^' ]+)'?$/, '$1');
  if (!createAppResolved) throw new PieceError('prerequisites', `the npm registry ${registry} has no @backstage/create-app@${createAppVersion}`);
  return { registry, createAppResolved };
}

/**
 * What is not the README's to say: this machine's addresses, the stand-in
 * clusters and the demo catalog, in app-config.local.yaml, where a user keeps
 * local settings (Backstage reads it after app-config.yaml). It holds a
 * stand-in cluster's service-account token.
 */
function writeLocalConfig(appDir: string, standIns: StandIns) {
  const local = {
    app: { baseUrl: appUrl, listen: { host: HOST, port: appPort } },
    backend: { baseUrl: backendUrl, listen: { host: HOST, port: backendPort }, cors: { origin: appUrl } },
    catalog: { locations: [{ type: 'file', target: path.join(repoDir, 'dev/catalog.yaml'), rules: [{ allow: ['Component', 'Group', 'User'] }] }] },
    kubernetes: { serviceLocatorMethod: { type: 'multiTenant' }, clusterLocatorMethods: [{ type: 'config', clusters: standIns.clusters }] },
  };
  fs.writeFileSync(path.join(appDir, 'app-config.local.yaml'), stringify(local), { mode: 0o600 });
}

main().then(
  passed => {
    process.stdout.write(`\n${steps.summary()}\n\ntest:adopt passed: ${passed}\n`);
    process.exit(0);
  },
  error => {
    process.stderr.write(`\n${steps.summary()}\n\ntest:adopt failed: ${error instanceof PieceError ? error.message : (error as Error).stack}\n`);
    process.exit(1);
  },
);
