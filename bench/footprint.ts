// What adding the packed packages brings to apps that already have the
// Kubernetes plugin, resolved by their package managers without downloading
// or linking anything: two npm apps, and an app from @backstage/create-app
// as its users add the packages, with yarn (dev/adopt pins it to
// create-app's release and reads yarn's own account of it).
import fs from 'node:fs';
import path from 'node:path';

import { APP_NODE_MAJOR, createBackstageApp, PINNED_CREATE_APP_VERSION } from '../dev/adopt/generatedApp.ts';
import { duplicatedBackstagePackages, installedPackages, measureAddedPackage } from '../dev/adopt/installedPackages.ts';
import { pinAppToTemplate } from '../dev/adopt/templatePins.ts';
import { installToolchain } from '../dev/adopt/toolchain.ts';
import { run } from '../dev/lib/processes.ts';
import { duplicatedPackages, planEnds, type NpmLock } from './ends.ts';
import { npm, ownPackage, root } from './lib.ts';

// Lockfile only; Backstage trees carry stale React peer ranges, which
// Backstage apps install with legacy peer resolution.
const RESOLVE = ['install', '--package-lock-only', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund'];

/**
 * An app on the current release line and one on the previous line (the
 * lowest end of the module's ranges, resolved as the registry stood then):
 * the packages the module adds and the Backstage packages then held twice.
 */
export function npmApps(tarball: string, scratch: string) {
  const dev = ownPackage.devDependencies;
  return planEnds().reverse().map(end => {
    const dir = path.join(scratch, end.name);
    fs.mkdirSync(dir);
    const dependencies = {
      '@backstage/frontend-defaults': end.before ? '*' : dev['@backstage/frontend-defaults'],
      '@backstage/plugin-kubernetes': end.pins['@backstage/plugin-kubernetes'],
      ...Object.fromEntries(['react', 'react-dom', 'react-router-dom'].map(name => [name, dev[name]])),
    };
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, dependencies }));
    const lock = (): NpmLock => JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));
    const locked = (packages: NpmLock['packages']) =>
      Object.entries(packages).filter(([at]) => at.startsWith('node_modules/') && !at.endsWith(`/${ownPackage.name}`)).map(([at, { version }]) => `${at}@${version}`);
    npm([...RESOLVE, ...(end.before ? [`--before=${end.before}`] : [])], { cwd: dir });
    const before = new Set(locked(lock().packages));
    npm([...RESOLVE, tarball], { cwd: dir });
    const after = lock();
    return { packagesAdded: locked(after.packages).filter(p => !before.has(p)), duplicated: duplicatedPackages(after) };
  });
}

/** Each package added with `yarn add` in update-lockfile mode to its workspace of an app from @backstage/create-app. */
export async function createApp(tarballs: { app: string; backend: string }, scratch: string) {
  const logFile = path.join(scratch, 'create-app.log');
  const registry = npm(['config', 'get', 'registry']).trim();
  const { env } = await installToolchain({ dir: scratch, nodeMajor: APP_NODE_MAJOR, registry, logFile });
  const appDir = await createBackstageApp({ version: PINNED_CREATE_APP_VERSION, dir: scratch, env, logFile, skipInstall: true });
  await pinAppToTemplate({ appDir, env, logFile, install: false });
  const options = { cwd: appDir, env };
  const app = await installedPackages(options, '@backstage/*');
  const appDuplicates = [...(await duplicatedBackstagePackages(options))].map(([name, versions]) => `${name}@${versions.join('+')}`);
  const added = [];
  for (const [workspace, tarball] of Object.entries(tarballs)) {
    const { name } = JSON.parse(fs.readFileSync(path.join(root, workspace === 'app' ? '.' : workspace, 'package.json'), 'utf8'));
    const before = await installedPackages(options);
    await run('yarn', ['--cwd', `packages/${workspace}`, 'add', `${name}@file:${tarball}`, '--mode=update-lockfile'], { cwd: appDir, env, logFile });
    added.push({ name, ...(await measureAddedPackage(name, { before, app }, options)) });
  }
  const { version } = JSON.parse(fs.readFileSync(path.join(appDir, 'backstage.json'), 'utf8'));
  return { app: `create-app ${PINNED_CREATE_APP_VERSION} app (Backstage ${version}, yarn)`, appDuplicates, added };
}
