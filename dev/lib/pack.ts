// A package as a publisher ships it: `npm pack` in a clean checkout, whose
// prepack builds dist/ afresh. The repository has two: the frontend module at
// its root and the backend module in backend/. CI packs each once
// (dev/lib/packOnce.ts) and hands the tarballs to every step that installs or
// measures them through SPECTROCLOUD_PACKAGE_TARBALL and
// SPECTROCLOUD_BACKEND_MODULE_TARBALL; run alone, each of them packs for itself.
// Plain TypeScript without import.meta or top-level await, so that jest can
// load it as well as tsx.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { PieceError } from './errors.ts';

/** The repository's packages, by folder, with the variable that may name a tarball of each. */
export const TARBALL_VARIABLES = { '.': 'SPECTROCLOUD_PACKAGE_TARBALL', backend: 'SPECTROCLOUD_BACKEND_MODULE_TARBALL' } as const;
export type PackageDir = keyof typeof TARBALL_VARIABLES;

const execFileAsync = promisify(execFile);

interface PackedPackage {
  tarball: string;
  /** The tarball's files, without the leading `package/`. */
  files: string[];
}

async function run(command: string, args: string[], cwd: string, logFile?: string): Promise<string> {
  if (logFile) fs.appendFileSync(logFile, `\n$ ${[command, ...args].join(' ')}   (in ${cwd})\n`);
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (logFile) fs.appendFileSync(logFile, stdout + stderr);
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    if (logFile) fs.appendFileSync(logFile, stdout + stderr);
    throw new PieceError(`\`${[command, ...args].join(' ')}\``, `${(error as Error).message.split('\n')[0]}\n${`${stdout}${stderr}`.trimEnd().split('\n').slice(-25).join('\n')}`);
  }
}

/** The files of a package tarball, as `npm pack` lists them. */
async function tarballFiles(tarball: string): Promise<string[]> {
  return (await run('tar', ['-tzf', tarball], path.dirname(tarball)))
    .split('\n')
    .filter(Boolean)
    .map(file => file.replace(/^package\//, ''));
}

/**
 * Packs the package in `packageDir` of the repository at `repoDir` in a clean
 * checkout below `dir`: a clone of HEAD (`from: 'HEAD'`, what a publisher of
 * the last commit ships), or of the working tree's tracked and not-ignored
 * files (`from: 'working tree'`, the default, what the change at hand would
 * ship). The checkout shares the repository's node_modules (not in git),
 * which saves an install of minutes. A stale build planted in the package's
 * dist/ proves that the pack builds afresh; a tarball that ships it, or a
 * pack that changes the checkout, fails.
 */
export async function packCleanCheckout({
  repoDir,
  dir,
  from = 'working tree',
  packageDir = '.',
  logFile,
}: {
  repoDir: string;
  dir: string;
  from?: 'HEAD' | 'working tree';
  packageDir?: PackageDir;
  logFile?: string;
}): Promise<PackedPackage> {
  const checkout = path.join(dir, 'checkout');
  if (from === 'HEAD') {
    await run('git', ['clone', '--quiet', '--no-hardlinks', repoDir, checkout], dir, logFile);
  } else {
    await run('git', ['clone', '--quiet', '--no-checkout', repoDir, checkout], dir, logFile);
    const files = (await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], repoDir))
      .split('\0')
      .filter(file => file && fs.existsSync(path.join(repoDir, file)));
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
      fs.copyFileSync(path.join(repoDir, file), path.join(checkout, file));
    }
  }
  fs.symlinkSync(path.join(repoDir, 'node_modules'), path.join(checkout, 'node_modules'), 'dir');
  fs.appendFileSync(path.join(checkout, '.git/info/exclude'), 'node_modules\n');
  const packageRoot = path.join(checkout, packageDir);
  const main: string = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).publishConfig.main;
  fs.mkdirSync(path.join(packageRoot, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(packageRoot, main), 'export const stale = true;\n');
  fs.writeFileSync(path.join(packageRoot, 'dist/removedFile.js'), 'export {};\n');

  const status = () => run('git', ['status', '--porcelain', '--untracked-files=all'], checkout);
  const statusBefore = await status();
  const packDir = path.join(dir, 'packed');
  fs.mkdirSync(packDir, { recursive: true });
  const [packed] = JSON.parse(await run('npm', ['pack', '--json', '--pack-destination', packDir], packageRoot, logFile)) as { filename: string }[];
  const statusAfter = await status();
  const tarball = path.join(packDir, packed.filename);
  const files = await tarballFiles(tarball);

  const shipped = files.includes(main) ? await run('tar', ['-xzOf', tarball, `package/${main}`], packDir) : '';
  if (!shipped || shipped.includes('export const stale') || files.includes('dist/removedFile.js')) {
    throw new PieceError('pack', `the package packed from a clean checkout ships no fresh build (its files: ${files.join(', ')}): \`npm pack\` did not build it`);
  }
  if (statusAfter !== statusBefore) throw new PieceError('pack', `the pack changed the clean checkout:\n${statusAfter}`);
  return { tarball, files };
}

/**
 * The tarball named by the package's variable (TARBALL_VARIABLES), or else
 * one packed now by packCleanCheckout.
 */
export async function packageTarball(options: Parameters<typeof packCleanCheckout>[0]): Promise<PackedPackage> {
  const variable = TARBALL_VARIABLES[options.packageDir ?? '.'];
  const given = process.env[variable];
  if (!given) return packCleanCheckout(options);
  if (!fs.existsSync(given)) throw new PieceError('pack', `${variable} names ${given}, which does not exist`);
  return { tarball: path.resolve(given), files: await tarballFiles(given) };
}
