// npm run test:adopt: the whole path of a new user, for real. A Backstage app
// is generated with @backstage/create-app on Node 22, the frontend and backend
// modules packed from a clean clone of HEAD (or the tarballs
// SPECTROCLOUD_PACKAGE_TARBALL and SPECTROCLOUD_BACKEND_MODULE_TARBALL name)
// are installed into it, app and backend are wired by the README's own
// snippets, and the app runs against the dev stack's SpectroCloud issuer and
// Kubernetes API stand-ins. In headless Chromium, on create-app's own sign-in
// page, guests answer the tab's SpectroCloud dialog: alice sees palette-dev's
// pods, bob gets a 403, and a guest who rejects it sees shared-sa's pods.
// Before the README's snippets run, the app is pinned to create-app's release
// as its yarn.lock seed would pin it (templatePins.ts); after both packages
// are added, yarn's own account of the app (`yarn info`, `yarn why`) must
// show no second copy of any @backstage package that either package brings.
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
import { fileURLToPath } from 'node:url';

import { stringify } from 'yaml';

import { DEFAULT_CHROMIUM_PATH, launchBrowser } from '../lib/browser.ts';
import { waitForCatalog } from '../lib/catalog.ts';
import { ALICE, BOB } from '../lib/demo.ts';
import { PieceError } from '../lib/errors.ts';
import { HOST } from '../lib/loopback.ts';
import { packageTarball, TARBALL_VARIABLES, type PackageDir } from '../lib/pack.ts';
import { assertPortFree, run, stopAllProcesses } from '../lib/processes.ts';
import { readDocumentSnippets, snippet } from '../lib/snippets.ts';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../lib/temporaryDirectory.ts';
import { stackInstallProblem } from '../stack/install.ts';
import { paletteVariables, startStandIns, type StandIns } from '../stack/standIns.ts';
import { signInMessage } from '../../backend/src/module.ts';
import { deniedUserGets403, guestSeesOtherClusters, permittedUserSeesPods } from './browserChecks.ts';
import {
  addBeforeBackendStart,
  APP_NODE_MAJOR as NODE_MAJOR,
  createBackstageApp,
  PINNED_CREATE_APP_VERSION,
  runCommandSnippet,
  startWorkspacePackage,
  type RunningPiece,
} from './generatedApp.ts';
import { duplicatedBackstagePackages, installedPackages, measureAddedPackage, newDuplicates, why, type AddedPackage } from './installedPackages.ts';
import { addToAppConfig, fileSnippet } from './readme.ts';
import { Steps } from './steps.ts';
import { pinAppToTemplate } from './templatePins.ts';
import { installToolchain } from './toolchain.ts';

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const packageManifest = (dir: string) =>
  JSON.parse(fs.readFileSync(path.join(repoDir, dir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
const packageName = (dir: string) => packageManifest(dir).name;
/** The @backstage packages the two packages ask for, dependencies and peers. */
const backstageRanges = (['.', 'backend'] as const).flatMap(dir => {
  const { dependencies, peerDependencies = {} } = packageManifest(dir);
  return Object.keys({ ...dependencies, ...peerDependencies }).filter(name => name.startsWith('@backstage/'));
});
/** How long the guest who rejected SpectroCloud sign-in watches the tab poll. */
const GUEST_POLLING_SECONDS = 60;

const createAppVersion = process.env.CREATE_APP_VERSION || PINNED_CREATE_APP_VERSION;
const appPort = Number(process.env.APP_PORT || 3300);
const backendPort = Number(process.env.BACKEND_PORT || 7300);
const chromiumPath = process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
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

    const tarballs: Record<PackageDir, string> = { '.': '', backend: '' };
    for (const packageDir of Object.keys(tarballs) as PackageDir[]) {
      const { tarball, files, fromVariable } = await steps.run(`pack ${packageName(packageDir)} from a clean clone of HEAD`, () => {
        const dir = path.join(scratch, `pack-${packageDir === '.' ? 'frontend' : packageDir}`);
        fs.mkdirSync(dir);
        return packageTarball({ repoDir, dir, from: 'HEAD', packageDir, logFile: log('pack') });
      });
      steps.note(`${path.basename(tarball)}: ${files.length} files${fromVariable ? ` (${TARBALL_VARIABLES[packageDir]}, packed once for this CI run)` : ''}`);
      tarballs[packageDir] = tarball;
    }
    // The packages are not on the registry from here: their tarballs stand in for their names.
    const fromTarball = (command: string, packageDir: PackageDir) =>
      command.replaceAll(packageName(packageDir), `${packageName(packageDir)}@file:${tarballs[packageDir]}`);

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

    const yarnOptions = { cwd: appDir, env };
    const pins = await steps.run("pin the app to create-app's release, as its yarn.lock seed would (out of reach here)", () =>
      pinAppToTemplate({ appDir, env, logFile: log('pin'), install: true }),
    );
    steps.note(
      `${pins.versions.size} @backstage packages (${pins.templateNames.size} named by the template) pinned in ${pins.rounds} rounds; ` +
        `those the two packages ask for: ${backstageRanges.map(name => `${name.replace('@backstage/', '')} ${pins.versions.get(name) ?? 'not in the app'}`).join(', ')}`,
    );
    // The app as generated: what the packages must not bring second copies of.
    const appPackages = await installedPackages(yarnOptions, '@backstage/*');
    const appDuplicates = await duplicatedBackstagePackages(yarnOptions);
    if (appDuplicates.size) steps.note(`the pinned app itself has second copies of ${[...appDuplicates.keys()].join(', ')}`);
    const added: Record<PackageDir, AddedPackage | undefined> = { '.': undefined, backend: undefined };
    /** Runs a README install command for one of the two packages and measures what it added. */
    const installPackage = async (command: string, packageDir: PackageDir) => {
      const before = await installedPackages(yarnOptions);
      await runCommandSnippet(fromTarball(command, packageDir), { cwd: appDir, env, logFile: log('install') });
      added[packageDir] = await measureAddedPackage(packageName(packageDir), { before, app: appPackages }, yarnOptions);
    };

    const snippets = readDocumentSnippets(repoDir);
    const appConfig = path.join(appDir, 'app-config.yaml');
    await steps.run('README "The app": install-yarn, app-config; sign-in-page type-checked, sign-in-page-app applies', async () => {
      await installPackage(snippet(snippets, 'install-yarn'), '.');
      addToAppConfig(appConfig, snippet(snippets, 'app-config'));
      // The README's path keeps create-app's sign-in page, with guests; the
      // SpectroCloud sign-in page of docs/app.md is written for yarn tsc to
      // check, and its App.tsx change checked to apply, but not applied.
      const signIn = fileSnippet(snippets, 'sign-in-page');
      fs.writeFileSync(path.join(appDir, signIn.file), `${signIn.code}\n`);
      const patch = path.join(scratch, 'sign-in-page-app.diff');
      fs.writeFileSync(patch, `${snippet(snippets, 'sign-in-page-app')}\n`);
      await run('git', ['apply', '--check', '--recount', patch], { cwd: appDir, env, logFile: log('install') });
    });
    await steps.run('README "The backend": backend-oidc-install, backend-oidc-module, backend-oidc-index, backend-oidc-config', async () => {
      const before = await duplicatedBackstagePackages(yarnOptions);
      await runCommandSnippet(snippet(snippets, 'backend-oidc-install'), { cwd: appDir, env, logFile: log('install') });
      // Not this repository's packages: reported, for the README to fix; the check below is about ours.
      const { names, report } = await newDuplicates(before, await duplicatedBackstagePackages(yarnOptions), yarnOptions);
      if (names.length) {
        steps.note(`WARNING: backend-oidc-install added second copies of ${names.length} @backstage packages: ${names.join(', ')}`);
        steps.note("  (its `yarn add` asks for each package's newest release; `yarn add --cached` would reuse the app's; `yarn why` in logs/install.log)");
        fs.appendFileSync(log('install'), `\nSecond copies added by backend-oidc-install:\n${report}\n`);
      }
      const authModule = fileSnippet(snippets, 'backend-oidc-module');
      fs.writeFileSync(path.join(appDir, authModule.file), `${authModule.code}\n`);
      addBeforeBackendStart(path.join(appDir, 'packages/backend/src/index.ts'), snippet(snippets, 'backend-oidc-index'));
      addToAppConfig(appConfig, snippet(snippets, 'backend-oidc-config'));
    });
    await steps.run('README "The Kubernetes backend": backend-module-install, backend-module-index', async () => {
      await installPackage(snippet(snippets, 'backend-module-install'), 'backend');
      addBeforeBackendStart(path.join(appDir, 'packages/backend/src/index.ts'), snippet(snippets, 'backend-module-index'));
    });
    await steps.run('no second copy of any @backstage package from either package (yarn info, yarn why)', async () => {
      const problems: string[] = [];
      for (const packageDir of ['.', 'backend'] as const) {
        const { packagesAdded, secondCopies } = added[packageDir]!;
        steps.note(
          `${packageName(packageDir)}: ${packagesAdded.length} packages added${packagesAdded.length ? ` (${packagesAdded.join(', ')})` : ''}, ` +
            `${secondCopies.length} second copies of the app's @backstage packages${secondCopies.length ? ` (${secondCopies.join(', ')})` : ''}`,
        );
        for (const pkg of secondCopies) {
          const name = pkg.slice(0, pkg.lastIndexOf('@'));
          const appVersion = [...appPackages].find(p => p.startsWith(`${name}@`))!.slice(name.length + 1);
          problems.push(`${packageName(packageDir)} brings ${pkg}, beside the app's ${appVersion}; yarn why ${name}:\n${(await why(name, yarnOptions)).trimEnd()}`);
        }
      }
      if (problems.length) throw new PieceError('second copies', `the packages bring second copies of the app's @backstage packages: lower their ranges to the app's versions\n\n${problems.join('\n\n')}`);
      const duplicates = await duplicatedBackstagePackages(yarnOptions);
      const listed = [...duplicates].map(([name, versions]) => `${name} ${versions.join('+')}`).join(', ');
      steps.note(`the app holds ${duplicates.size} @backstage packages at more than one version, none brought by these packages${listed ? `: ${listed}` : ''}`);
    });
    await steps.run("type-check the app (yarn tsc)", () => run('yarn', ['tsc'], { cwd: appDir, env, logFile: log('tsc') }));

    const auditLogPath = path.join(scratch, 'kube-audit.log');
    standIns = await steps.run('start the SpectroCloud issuer and Kubernetes API stand-ins', () =>
      // A Palette that leaves email_verified out: the strictest the README's path works with.
      startStandIns({ backendUrl, auditLogPath, issuerOptions: { variant: { emailVerified: 'absent' } }, log: line => fs.appendFileSync(log('stand-ins'), `${line}\n`) }),
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
      await waitForCatalog(backendUrl, { timeoutMs: 2 * 60_000, logFile: log('backend') });
      return piece;
    });
    const app = await steps.run("start the app's frontend", () => startApp(appDir, appEnv, log('app')));
    browser = await launchBrowser(chromiumPath);

    // The guest watches the tab poll for a while; alice and bob go meanwhile,
    // in browser contexts of their own.
    const checked = await Promise.all([
      steps.run(`Chromium: a guest rejects SpectroCloud sign-in, sees shared-sa's pods and is not asked again for ${GUEST_POLLING_SECONDS} s`, () =>
        guestSeesOtherClusters(browser!, { appUrl, auditLogPath, artifactsDir: artifacts, name: 'guest', message: signInMessage('SpectroCloud'), seconds: GUEST_POLLING_SECONDS }),
      ),
      (async () => [
        await steps.run(`Chromium: a guest signs in with SpectroCloud as ${ALICE.id} and sees palette-dev's pods`, () =>
          permittedUserSeesPods(browser!, { appUrl, auditLogPath, artifactsDir: artifacts, name: ALICE.id }),
        ),
        await steps.run(`Chromium: a guest signs in with SpectroCloud as ${BOB.id} and is denied on palette-dev (403)`, () =>
          deniedUserGets403(browser!, { appUrl, auditLogPath, artifactsDir: artifacts, name: BOB.id }),
        ),
      ])(),
    ]);
    checked.flat().forEach(({ lines }) => lines.forEach(line => steps.note(line)));
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
    throw new PieceError('prerequisites', `no Chromium at ${chromiumPath}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  const stackProblem = stackInstallProblem();
  if (stackProblem) throw new PieceError('prerequisites', stackProblem);
  if (!fs.existsSync(path.join(repoDir, 'node_modules/@backstage/cli'))) {
    throw new PieceError('prerequisites', 'the module has no node_modules: run `npm ci` first');
  }
  await assertPortFree(appPort, 'app', 'APP_PORT');
  await assertPortFree(backendPort, 'backend', 'BACKEND_PORT');
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
  try {
    const versions = execFileSync('npm', ['view', '--fetch-retries=0', `@backstage/create-app@${createAppVersion}`, 'version'], { encoding: 'utf8', stdio: 'pipe', timeout: 60_000 });
    const createAppResolved = versions.trim().split('\n').pop()!.replace(/^.* '?([^' ]+)'?$/, '$1');
    if (!createAppResolved) throw new PieceError('prerequisites', `the npm registry ${registry} has no @backstage/create-app@${createAppVersion}`);
    return { registry, createAppResolved };
  } catch (error) {
    if (error instanceof PieceError) throw error;
    const reason = ((error as { stderr?: string }).stderr || (error as Error).message).trim().split('\n').slice(0, 3).join(' ');
    throw new PieceError('prerequisites', `the npm registry ${registry} does not answer for @backstage/create-app@${createAppVersion}: ${reason}`);
  }
}

/** The variables the README's backend-oidc-config reads, pointing at the issuer stand-in; the session secret is made anew. */
function spectroCloudVariables(standIns: StandIns): Record<string, string> {
  return { ...paletteVariables('SPECTROCLOUD', standIns.issuer, standIns.clientSecret), AUTH_SESSION_SECRET: randomBytes(32).toString('base64url') };
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

main().then(
  () => process.exit(0),
  error => {
    process.stderr.write(`\n${steps.summary()}\n\ntest:adopt failed: ${error instanceof PieceError ? error.message : (error as Error).stack}\n`);
    process.exit(1);
  },
);
