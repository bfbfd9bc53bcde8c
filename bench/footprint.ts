// What adding the packed module brings to npm apps that already have the
// Kubernetes plugin, resolved by npm without downloading or linking anything.
// (What it brings to an app from @backstage/create-app, with yarn, is
// test:adopt's to check, on the app it installs.)
import fs from 'node:fs';
import path from 'node:path';

import { duplicatedPackages, planEnds, type NpmLock } from './ends.ts';
import { npm, ownPackage } from './lib.ts';

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
