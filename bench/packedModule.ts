// The module as the bench measures it: the package tarball (the one CI packed
// once, named by SPECTROCLOUD_PACKAGE_TARBALL, or else one packed now from a
// clean checkout of the working tree), unpacked where esbuild finds it by the
// package's name, so every figure goes through its public entry point.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { packageTarball } from '../dev/lib/pack.ts';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../dev/lib/temporaryDirectory.ts';
import { ownPackage, root } from './lib.ts';

export interface PackedModule {
  tarball: string;
  tarballBytes: number;
  /**
   * Where a bundle's entry resolves from: outside the repository, so the
   * package's name finds the unpacked tarball, not the repository's own
   * package (whose exports point at src/).
   */
  resolveDir: string;
  /** Where esbuild looks for packages: the unpacked module first, then the repository's. */
  nodePaths: string[];
  remove: () => void;
}

export async function preparePackedModule(): Promise<PackedModule> {
  const scratch = createTemporaryDirectory('bench-package');
  try {
    const { tarball } = await packageTarball({ repoDir: root, dir: scratch, logFile: path.join(scratch, 'pack.log') });
    const unpacked = path.join(scratch, 'node_modules', ownPackage.name);
    fs.mkdirSync(unpacked, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);
    return {
      tarball,
      tarballBytes: fs.statSync(tarball).size,
      resolveDir: scratch,
      nodePaths: [path.join(scratch, 'node_modules'), path.join(root, 'node_modules')],
      remove: () => removeTemporaryDirectory(scratch),
    };
  } catch (error) {
    removeTemporaryDirectory(scratch);
    throw error;
  }
}

/**
 * The backend module's tarball: SPECTROCLOUD_BACKEND_MODULE_TARBALL's, or
 * one packed now from a clean checkout of the working tree.
 */
export async function preparePackedBackendModule(): Promise<{ name: string; tarball: string; remove: () => void }> {
  const scratch = createTemporaryDirectory('bench-backend-package');
  try {
    const { tarball } = await packageTarball({ repoDir: root, dir: scratch, packageDir: 'backend', logFile: path.join(scratch, 'pack.log') });
    const { name } = JSON.parse(fs.readFileSync(path.join(root, 'backend/package.json'), 'utf8')) as { name: string };
    return { name, tarball, remove: () => removeTemporaryDirectory(scratch) };
  } catch (error) {
    removeTemporaryDirectory(scratch);
    throw error;
  }
}
