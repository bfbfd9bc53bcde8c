// npm run test:adopt: the whole path of a new user, for real. A Backstage app
// is generated with @backstage/create-app on Node 22, the module packed from a
// clean clone of HEAD is installed into it, app and backend are wired by the
// README's own snippets, and the app runs against the dev stack's SpectroCloud
// issuer and Kubernetes API stand-ins. In headless Chromium alice sees
// palette-dev's pods and bob gets a 403; then again with the stock auth
// providers extension disabled.
//
//   CREATE_APP_VERSION=latest   generate with the newest create-app
//   APP_PORT, BACKEND_PORT      the generated app's ports (3300, 7300)
//   CHROMIUM_PATH               default /usr/bin/chromium
//   KEEP_TEMP=1                 keep the scratch directory (app, logs)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { stringify } from 'yaml';

import { ALICE, BOB, COMPONENT } from '../stack/demo.ts';
import { stackInstallProblem } from '../stack/install.ts';
import { HOST } from '../stack/loopback.ts';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../stack/temporaryDirectory.ts';
import { deniedUserGets403, launchBrowser, permittedUserSeesPods } from './browserChecks.ts';
import { addBeforeBackendStart, createBackstageApp, packCleanClone, pinSignalsBackendToTemplate, runCommandSnippet, startWorkspacePackage, type RunningPiece } from './generatedApp.ts';
import { AdoptionError, run, stopAllProcesses } from './processes.ts';
import { addToAppConfig, fileSnippet, readSnippets, snippet } from './readme.ts';
import { startStandIns, type StandIns } from '../stack/standIns.ts';
import { Steps } from './steps.ts';
import { installToolchain } from './toolchain.ts';

/** The create-app this test pins, so that CI is repeatable. */
const PINNED_CREATE_APP_VERSION = '0.9.2';
/** Backstage apps run on Node 22 or 24; create-app refuses Node 20. */
const NODE_MAJOR = 22;

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const packageName = JSON.parse(fs.readFileSync(path.join(repoDir, 'package.json'), 'utf8')).name as string;

const createAppVersion = process.env.CREATE_APP_VERSION || PINNED_CREATE_APP_VERSION;
const appPort = Number(process.env.APP_PORT || 3300);
const backendPort = Number(process.env.BACKEND_PORT || 7300);
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const appUrl = `http://${HOST}:${appPort}`;
const backendUrl = `http://${HOST}:${backendPort}`;

const steps = new Steps();

async function main() {
  const { registry, createAppResolved } = await steps.run('check Chromium, dev/stack, ports and the registry', checkPrerequisites);

  const scratch = createTemporaryDirectory('adopt');
  const logs = path.join(scratch, 'logs');
  const artifacts = path.join(scratch, 'screenshots');
  fs.mkdirSync(logs);
  fs.mkdirSync(artifacts);
  const log = (name: string) => path.join(logs, `${name}.log`);
  steps.note(`scratch directory ${scratch} (logs in logs/; KEEP_TEMP=1 keeps it)`);

  let standIns: StandIns | undefined;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  try {
    const toolchain = await steps.run(`install Node ${NODE_MAJOR} and Yarn`, () => installToolchain({ dir: scratch, nodeMajor: NODE_MAJOR, registry, logFile: log('toolchain') }));
    steps.note(`Node ${toolchain.nodeVersion}`);
    const { env } = toolchain;

    const { tarball, files } = await steps.run('pack the module from a clean clone of HEAD', () => packCleanClone({ repoDir, dir: scratch, logFile: log('pack') }));
    steps.note(`${path.basename(tarball)}: ${files.length} files`);

    const appDir = await steps.run(`generate an app with @backstage/create-app@${createAppResolved}`, () =>
      createBackstageApp({ version: createAppResolved, dir: scratch, env, logFile: log('create-app') }),
    );
    const backstageVersion = JSON.parse(fs.readFileSync(path.join(appDir, 'backstage.json'), 'utf8')).version;
    steps.note(`Backstage ${backstageVersion}`);
    // create-app built the app's native modules with the Node headers named by
    // npm_config_nodedir (toolchain.ts); a wrong build only shows at start.
    await steps.run('check the app loads better-sqlite3 on this Node', () =>
      run('node', ['-e', "new (require('better-sqlite3'))(':memory:')"], { cwd: path.join(appDir, 'packages/backend'), env, logFile: log('better-sqlite3') }),
    );

    const pinned = await steps.run('pin the signals backend to the template\'s version (no yarn.lock seed offline)', () =>
      pinSignalsBackendToTemplate({ appDir, env, logFile: log('pin') }),
    );
    if (pinned) steps.note(pinned);

    const snippets = readSnippets(path.join(repoDir, 'README.md'));
    const appConfig = path.join(appDir, 'app-config.yaml');
    await steps.run('README "The app": install-yarn, app-config, sign-in-page, sign-in-page-app', async () => {
      // The package is not on the registry from here: its tarball stands in for its name.
      const install = snippet(snippets, 'install-yarn').replaceAll(packageName, `${packageName}@file:${tarball}`);
      await runCommandSnippet(install, { cwd: appDir, env, logFile: log('install') });
      addToAppConfig(appConfig, snippet(snippets, 'app-config'));
      const signIn = fileSnippet(snippets, 'sign-in-page');
      fs.writeFileSync(path.join(appDir, signIn.file), `${signIn.code}\n`);
      const patch = path.join(scratch, 'sign-in-page-app.diff');
      fs.writeFileSync(patch, `${snippet(snippets, 'sign-in-page-app')}\n`);
      await run('git', ['apply', '--recount', patch], { cwd: appDir, env, logFile: log('install') });
    });
    await steps.run('README "The backend": backend-install, backend-index, backend-config', async () => {
      await runCommandSnippet(snippet(snippets, 'backend-install'), { cwd: appDir, env, logFile: log('install') });
      addBeforeBackendStart(path.join(appDir, 'packages/backend/src/index.ts'), snippet(snippets, 'backend-index'));
      addToAppConfig(appConfig, snippet(snippets, 'backend-config'));
    });
    await steps.run("type-check the app (yarn tsc)", () => run('yarn', ['tsc'], { cwd: appDir, env, logFile: log('tsc') }));

    const auditLogPath = path.join(scratch, 'kube-audit.log');
    standIns = await steps.run('start the SpectroCloud issuer and Kubernetes API stand-ins', () =>
      startStandIns({ backendUrl, auditLogPath, log: line => fs.appendFileSync(log('stand-ins'), `${line}\n`) }),
    );
    const appEnv = { ...env, ...spectroCloudVariables(standIns) };
    writeLocalConfig(appDir, standIns);

    const backend = await steps.run("start the app's backend", async () => {
      const piece = await startWorkspacePackage('backend', {
        appDir,
        env: appEnv,
        logFile: log('backend'),
        readyUrl: `${backendUrl}/.backstage/health/v1/readiness`,
        timeoutMs: 5 * 60_000,
        failedWhen: /Backend startup failed[^\n]*(\n[^\n]*){0,2}/,
      });
      await waitForCatalog(log('backend'));
      return piece;
    });
    let app = await steps.run("start the app's frontend", () => startApp(appDir, appEnv, log('app')));
    browser = await launchBrowser(chromiumPath);

    const signInAsAliceAndBob = async (round: 'stock' | 'disabled') => {
      const label = round === 'stock' ? '' : ', auth-providers disabled';
      const alice = await steps.run(`Chromium: ${ALICE.id} signs in with SpectroCloud and sees palette-dev's pods${label}`, () =>
        permittedUserSeesPods(browser!, { appUrl, auditLogPath, artifactsDir: artifacts, name: `${round}-${ALICE.id}` }),
      );
      alice.lines.forEach(line => steps.note(line));
      const bob = await steps.run(`Chromium: ${BOB.id} is denied on palette-dev (403)${label}`, () =>
        deniedUserGets403(browser!, { appUrl, auditLogPath, artifactsDir: artifacts, name: `${round}-${BOB.id}` }),
      );
      bob.lines.forEach(line => steps.note(line));
    };
    await signInAsAliceAndBob('stock');
    await steps.run('README disable-stock: app-config disables api:kubernetes/auth-providers; restart the frontend', async () => {
      addToAppConfig(appConfig, snippet(snippets, 'disable-stock'));
      await app.stop();
      app = await startApp(appDir, appEnv, log('app'));
    });
    await signInAsAliceAndBob('disabled');
    await app.stop();
    await backend.stop();
    process.stdout.write(`\n${steps.summary()}\n\ntest:adopt passed: create-app ${createAppResolved} (Backstage ${backstageVersion}), Node ${toolchain.nodeVersion}\n`);
  } finally {
    await browser?.close().catch(() => {});
    await stopAllProcesses();
    await standIns?.close();
    removeTemporaryDirectory(scratch);
  }
}

/** Fails fast, before minutes of installing, on what would fail later. */
async function checkPrerequisites(): Promise<{ registry: string; createAppResolved: string }> {
  if (!fs.existsSync(chromiumPath)) {
    throw new AdoptionError(`no Chromium at ${chromiumPath}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  const stackProblem = stackInstallProblem();
  if (stackProblem) throw new AdoptionError(stackProblem);
  if (!fs.existsSync(path.join(repoDir, 'node_modules/@backstage/cli'))) {
    throw new AdoptionError('the module has no node_modules: run `npm ci` first');
  }
  await assertPortFree(appPort, 'APP_PORT');
  await assertPortFree(backendPort, 'BACKEND_PORT');
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
  try {
    const versions = execFileSync('npm', ['view', '--fetch-retries=0', `@backstage/create-app@${createAppVersion}`, 'version'], { encoding: 'utf8', stdio: 'pipe', timeout: 60_000 });
    const createAppResolved = versions.trim().split('\n').pop()!.replace(/^.* '?([^' ]+)'?$/, '$1');
    if (!createAppResolved) throw new AdoptionError(`the npm registry ${registry} has no @backstage/create-app@${createAppVersion}`);
    return { registry, createAppResolved };
  } catch (error) {
    if (error instanceof AdoptionError) throw error;
    const reason = ((error as { stderr?: string }).stderr || (error as Error).message).trim().split('\n').slice(0, 3).join(' ');
    throw new AdoptionError(`the npm registry ${registry} does not answer for @backstage/create-app@${createAppVersion}: ${reason}`);
  }
}

function assertPortFree(port: number, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new AdoptionError(`port ${port} on ${HOST} is taken (${error.code}): stop what uses it or set ${variable}`)),
    );
    server.listen(port, HOST, () => server.close(() => resolve()));
  });
}

/** The variables the README's backend-config reads, pointing at the issuer stand-in. */
function spectroCloudVariables(standIns: StandIns): Record<string, string> {
  const [, url, tenant] = /^(.*)\/v1\/oidc\/tenant\/([^/]+)$/.exec(standIns.issuer.issuer) ?? [];
  return { SPECTROCLOUD_CLIENT_ID: standIns.clientId, SPECTROCLOUD_CLIENT_SECRET: standIns.clientSecret, SPECTROCLOUD_URL: url, SPECTROCLOUD_TENANT: tenant };
}

/**
 * What is not the README's to say: this machine's addresses, the stand-in
 * clusters and the demo catalog. app-config.local.yaml is where a user keeps
 * local settings; Backstage reads it after app-config.yaml.
 */
function writeLocalConfig(appDir: string, standIns: StandIns) {
  const local = {
    app: { baseUrl: appUrl, listen: { host: HOST, port: appPort } },
    backend: { baseUrl: backendUrl, listen: { host: HOST, port: backendPort }, cors: { origin: appUrl } },
    catalog: {
      locations: [{ type: 'file', target: path.join(repoDir, 'dev/catalog.yaml'), rules: [{ allow: ['Component', 'Group', 'User'] }] }],
    },
    kubernetes: {
      serviceLocatorMethod: { type: 'multiTenant' },
      clusterLocatorMethods: [{ type: 'config', clusters: standIns.clusters }],
    },
  };
  // It holds the service-account token of a stand-in cluster.
  fs.writeFileSync(path.join(appDir, 'app-config.local.yaml'), stringify(local), { mode: 0o600 });
}

function startApp(appDir: string, env: NodeJS.ProcessEnv, logFile: string): Promise<RunningPiece> {
  return startWorkspacePackage('app', { appDir, env, logFile, readyUrl: appUrl, timeoutMs: 6 * 60_000 });
}

// Sign-in resolves users from the catalog, so the backend is ready for the
// browser only once the catalog holds the demo users. A guest token may ask.
async function waitForCatalog(logFile: string) {
  const entityRefs = [ALICE, BOB].map(user => `user:default/${user.id}`).concat(`component:default/${COMPONENT}`);
  const deadline = Date.now() + 2 * 60_000;
  while (Date.now() < deadline) {
    const found = await (async () => {
      const guest = await fetch(`${backendUrl}/api/auth/guest/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest' } });
      const { backstageIdentity } = (await guest.json()) as { backstageIdentity: { token: string } };
      const response = await fetch(`${backendUrl}/api/catalog/entities/by-refs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${backstageIdentity.token}` },
        body: JSON.stringify({ entityRefs }),
      });
      const { items } = (await response.json()) as { items: unknown[] };
      return items.every(Boolean);
    })().catch(() => false);
    if (found) return;
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
  throw new AdoptionError(`the catalog did not load dev/catalog.yaml (${entityRefs.join(', ')}) within 2 minutes; see ${logFile}`);
}

main().then(
  () => process.exit(0),
  error => {
    process.stderr.write(`\n${steps.summary()}\n\ntest:adopt failed: ${error instanceof AdoptionError ? error.message : (error as Error).stack}\n`);
    process.exit(1);
  },
);
