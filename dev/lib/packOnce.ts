// `tsx dev/lib/packOnce.ts DIR [--from HEAD]`: packs the package once, in a
// clean checkout below DIR, and prints the tarball's path for
// SPECTROCLOUD_PACKAGE_TARBALL. CI runs it before the steps that install or
// measure the package.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { packCleanCheckout } from './pack.ts';

const [dir, fromFlag, fromValue] = process.argv.slice(2);
if (!dir || (fromFlag !== undefined && (fromFlag !== '--from' || fromValue !== 'HEAD'))) {
  process.stderr.write('usage: tsx dev/lib/packOnce.ts DIR [--from HEAD]\n');
  process.exit(2);
}
const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
fs.mkdirSync(dir, { recursive: true });
const logFile = path.join(dir, 'pack.log');
try {
  const { tarball, files, statusBefore, statusAfter } = await packCleanCheckout({ repoDir, dir: path.resolve(dir), from: fromValue === 'HEAD' ? 'HEAD' : 'working tree', logFile });
  if (statusAfter !== statusBefore) throw new Error(`the pack changed the clean checkout:\n${statusAfter}`);
  process.stderr.write(`packed ${files.length} files\n`);
  process.stdout.write(`${tarball}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n(log: ${logFile})\n`);
  process.exit(1);
}
