// What installing the packed module adds to an app that already has the
// Kubernetes plugin. The app is resolved by npm, then the tarball is installed
// into it as a user would, and the two lockfiles are compared. This is done
// for an app on the current release line and for one on the previous line
// (the lowest end of the module's ranges, resolved as the registry stood then).
import fs from 'node:fs';
import path from 'node:path';

import { createTemporaryDirectory, removeTemporaryDirectory } from '../dev/lib/temporaryDirectory.ts';
import { duplicatedPackages, type End, type NpmLock } from './ends.ts';
import { npm, ownPackage } from './lib.ts';
import type { PackedModule } from './packedModule.ts';

// Backstage trees carry stale React peer ranges (@material-ui/*), which
// Backstage apps install with legacy peer resolution. Nothing is downloaded.
const RESOLVE = ['--package-lock-only', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund'];

const readLock = (dir: string): NpmLock => JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));

/** The lockfile's packages as `node_modules/...name@version`. */
const lockedPackages = (lock: NpmLock) =>
  Object.entries(lock.packages)
    .filter(([location]) => location.startsWith('node_modules/'))
    .map(([location, { version }]) => `${location}@${version}`);

function measureApp(end: End, tarball: string, scratch: string) {
  const dir = path.join(scratch, end.name);
  fs.mkdirSync(dir);
  const dev = ownPackage.devDependencies;
  const app = {
    name: 'app',
    private: true,
    dependencies: {
      // At the lowest end, the newest release as of that date.
      '@backstage/frontend-defaults': end.before ? '*' : dev['@backstage/frontend-defaults'],
      '@backstage/plugin-kubernetes': end.pins['@backstage/plugin-kubernetes'],
      react: dev.react,
      'react-dom': dev['react-dom'],
      'react-router-dom': dev['react-router-dom'],
    },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(app, null, 2));
  npm(['install', ...RESOLVE, ...(end.before ? [`--before=${end.before}`] : [])], { cwd: dir });
  const beforeLock = readLock(dir);
  const before = lockedPackages(beforeLock);
  // Installed today, into the app's existing lockfile.
  npm(['install', ...RESOLVE, tarball], { cwd: dir });
  const afterLock = readLock(dir);
  const after = lockedPackages(afterLock);

  const known = new Set(before);
  const moduleLocation = `node_modules/${ownPackage.name}@`;
  const added = after.filter(p => !known.has(p) && !p.startsWith(moduleLocation));
  return {
    app: `${end.name === 'lowest' ? 'previous' : 'current'} release line: @backstage/plugin-kubernetes ${end.pins['@backstage/plugin-kubernetes']}`,
    packagesBefore: before.length,
    packagesAfter: after.length,
    packagesAdded: added.length,
    added,
    duplicatedPackages: duplicatedPackages(afterLock),
    duplicatedWithoutModule: duplicatedPackages(beforeLock),
  };
}

export function measureFootprint(ends: End[], { tarball, tarballBytes }: PackedModule) {
  const scratch = createTemporaryDirectory('footprint');
  try {
    return {
      tarballBytes,
      apps: [...ends].reverse().map(end => measureApp(end, tarball, scratch)),
    };
  } finally {
    removeTemporaryDirectory(scratch);
  }
}
