// Whether `npm ci --prefix dev/stack` has run: npm start checks it before
// starting anything, and the type check of dev/stack before checking, so a
// missing install is named as such instead of surfacing as unresolved modules.
// `tsx dev/stack/install.ts` exits non-zero with the message.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const stackDir = path.dirname(fileURLToPath(import.meta.url));

/** What is missing from dev/stack's install, or undefined when nothing is. */
export function stackInstallProblem(): string | undefined {
  const { dependencies = {}, devDependencies = {} } = JSON.parse(fs.readFileSync(path.join(stackDir, 'package.json'), 'utf8'));
  const missing = Object.keys({ ...dependencies, ...devDependencies }).filter(
    name => !fs.existsSync(path.join(stackDir, 'node_modules', name, 'package.json')),
  );
  if (missing.length === 0) return undefined;
  return `dev/stack is missing ${missing.join(', ')}: run \`npm ci --prefix dev/stack\` first`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const problem = stackInstallProblem();
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
