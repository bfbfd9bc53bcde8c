// What adding the two packages costs an app from @backstage/create-app, the
// way its users add them: with yarn, the frontend module into packages/app
// and the backend module into packages/backend. The app is generated without
// installing (`--skip-install`), pinned to create-app's release as its
// yarn.lock seed would pin it (dev/adopt/templatePins.ts), and each tarball
// is added by `yarn add --mode=update-lockfile`: yarn resolves the app as it
// would install it, and downloads and links nothing. The figures are yarn's
// own account of the resolved app (dev/adopt/installedPackages.ts), the same
// that `npm run test:adopt` checks after its real install.
import fs from 'node:fs';
import path from 'node:path';

import { APP_NODE_MAJOR, createBackstageApp, PINNED_CREATE_APP_VERSION } from '../dev/adopt/generatedApp.ts';
import { duplicatedBackstagePackages, installedPackages, measureAddedPackage, type AddedPackage } from '../dev/adopt/installedPackages.ts';
import { pinAppToTemplate } from '../dev/adopt/templatePins.ts';
import { installToolchain } from '../dev/adopt/toolchain.ts';
import { run } from '../dev/lib/processes.ts';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../dev/lib/temporaryDirectory.ts';
import { npm } from './lib.ts';

export interface CreateAppFootprint {
  createApp: string;
  backstage: string;
  /** How the figures were obtained. */
  method: string;
  /** The @backstage packages the app holds twice before anything is added (0 when the pinning matches the release). */
  appDuplicates: string[];
  packages: (AddedPackage & { package: string; workspace: string })[];
}

export async function measureCreateAppFootprint(tarballs: { name: string; tarball: string; workspace: 'app' | 'backend' }[]): Promise<CreateAppFootprint> {
  const scratch = createTemporaryDirectory('create-app-footprint');
  const logFile = path.join(scratch, 'footprint.log');
  try {
    const registry = npm(['config', 'get', 'registry']).trim();
    const { env } = await installToolchain({ dir: scratch, nodeMajor: APP_NODE_MAJOR, registry, logFile });
    const appDir = await createBackstageApp({ version: PINNED_CREATE_APP_VERSION, dir: scratch, env, logFile, skipInstall: true });
    await pinAppToTemplate({ appDir, env, logFile, install: false });
    const options = { cwd: appDir, env };
    const app = await installedPackages(options, '@backstage/*');
    const appDuplicates = [...(await duplicatedBackstagePackages(options))].map(([name, versions]) => `${name}@${versions.join('+')}`);
    const packages: CreateAppFootprint['packages'] = [];
    for (const { name, tarball, workspace } of tarballs) {
      const before = await installedPackages(options);
      await run('yarn', ['--cwd', `packages/${workspace}`, 'add', `${name}@file:${tarball}`, '--mode=update-lockfile'], { cwd: appDir, env, logFile });
      packages.push({ package: name, workspace: `packages/${workspace}`, ...(await measureAddedPackage(name, { before, app }, options)) });
    }
    return {
      createApp: PINNED_CREATE_APP_VERSION,
      backstage: JSON.parse(fs.readFileSync(path.join(appDir, 'backstage.json'), 'utf8')).version,
      method: "yarn's resolution of the app (update-lockfile mode: nothing downloaded or linked), pinned to create-app's release",
      appDuplicates,
      packages,
    };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n(log: ${logFile}; KEEP_TEMP=1 keeps it)`);
  } finally {
    removeTemporaryDirectory(scratch);
  }
}
