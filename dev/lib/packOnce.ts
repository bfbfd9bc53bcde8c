// `tsx dev/lib/packOnce.ts DIR [--package backend]`: packs the frontend
// module (or the backend module) once, in a clean checkout below DIR, and
// prints the tarball's path for SPECTROCLOUD_PACKAGE_TARBALL (or
// SPECTROCLOUD_BACKEND_MODULE_TARBALL). CI runs it before the steps that
// install or measure the packages.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { packCleanCheckout } from './pack.ts';

const [dir, ...rest] = process.argv.slice(2);
const backend = rest.length === 2 && rest[0] === '--package' && rest[1] === 'backend';
if (!dir || dir.startsWith('-') || (rest.length && !backend)) {
  process.stderr.write('usage: tsx dev/lib/packOnce.ts DIR [--package backend]\n');
  process.exit(2);
}

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
fs.mkdirSync(dir, { recursive: true });
const logFile = path.join(dir, 'pack.log');
try {
  const { tarball, files } = await packCleanCheckout({ repoDir, dir: path.resolve(dir), packageDir: backend ? 'backend' : '.', logFile });
  process.stderr.write(`packed ${files.length} files\n`);
  process.stdout.write(`${tarball}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n(log: ${logFile})\n`);
  process.exit(1);
}
