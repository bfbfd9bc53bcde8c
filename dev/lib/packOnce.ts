// `tsx dev/lib/packOnce.ts DIR [--from HEAD] [--package backend]`: packs the
// frontend module (or the backend module) once, in a clean checkout below
// DIR, and prints the tarball's path for SPECTROCLOUD_PACKAGE_TARBALL (or
// SPECTROCLOUD_BACKEND_MODULE_TARBALL). CI runs it before the steps that
// install or measure the packages.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { packCleanCheckout, TARBALL_VARIABLES, type PackageDir } from './pack.ts';

const usage = () => {
  process.stderr.write('usage: tsx dev/lib/packOnce.ts DIR [--from HEAD] [--package backend]\n');
  process.exit(2);
};
let parsed: ReturnType<typeof parseArgs<{ options: { from: { type: 'string' }; package: { type: 'string' } }; allowPositionals: true }>>;
try {
  parsed = parseArgs({ options: { from: { type: 'string' }, package: { type: 'string' } }, allowPositionals: true });
} catch {
  usage();
}
const { positionals: [dir, ...extra], values } = parsed!;
const packageDir = (values.package ?? '.') as PackageDir;
if (!dir || extra.length || (values.from !== undefined && values.from !== 'HEAD') || !(packageDir in TARBALL_VARIABLES)) usage();

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
fs.mkdirSync(dir, { recursive: true });
const logFile = path.join(dir, 'pack.log');
try {
  const { tarball, files, statusBefore, statusAfter } = await packCleanCheckout({
    repoDir,
    dir: path.resolve(dir),
    from: values.from === 'HEAD' ? 'HEAD' : 'working tree',
    packageDir,
    logFile,
  });
  if (statusAfter !== statusBefore) throw new Error(`the pack changed the clean checkout:\n${statusAfter}`);
  process.stderr.write(`packed ${files.length} files\n`);
  process.stdout.write(`${tarball}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n(log: ${logFile})\n`);
  process.exit(1);
}
