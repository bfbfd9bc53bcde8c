// Helpers shared by the benchmark (bench/index.mjs) and the version matrix
// (bench/compat.mjs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ownPackage = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Writes lines to stdout (the scripts' output is their purpose). */
export function log(...lines) {
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Prints `message` and exits non-zero: for inputs the scripts cannot work with. */
export function fail(message, code = 1) {
  process.stderr.write(`\n${message}\n`);
  process.exit(code);
}

/** Runs npm and returns its stdout; throws with npm's stderr on failure. */
export function npm(args, { cwd = root } = {}) {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`npm ${args.join(' ')} failed:\n${result.stderr.trim().split('\n').slice(-15).join('\n')}`);
  }
  return result.stdout;
}

export const npmJson = (args, options) => JSON.parse(npm([...args, '--json'], options));

/**
 * Both scripts install from the registry; say so plainly instead of letting
 * npm retry for minutes and end in a stack of ECONNREFUSED lines.
 */
export function requireRegistry(command) {
  let registry = 'the npm registry';
  try {
    registry = npm(['config', 'get', 'registry']).trim();
    npm(['view', '@backstage/frontend-plugin-api', 'version', '--fetch-retries=0', '--fetch-timeout=20000']);
  } catch {
    fail(
      `${command} needs the npm registry (${registry}), and it cannot be reached.\n` +
        `Connect to the network (or point npm_config_registry at a reachable mirror), then run \`${command}\` again.`,
      2,
    );
  }
}

/** The scripts run the repo's own toolchain. */
export function requireInstall(command) {
  if (!fs.existsSync(path.join(root, 'node_modules/.package-lock.json'))) {
    fail(`node_modules/ is missing: run \`npm ci\` first, then \`${command}\`.`);
  }
}

/** `dist/` must exist before anything measures the built module. */
export function requireBuild(command) {
  const entry = path.join(root, 'dist/index.esm.js');
  if (!fs.existsSync(entry)) {
    fail(`dist/ has no build of the module: run \`npm run build\` first, then \`${command}\`.`);
  }
  const built = fs.statSync(entry).mtimeMs;
  const newer = fs
    .readdirSync(path.join(root, 'src'), { recursive: true })
    .filter(f => /\.tsx?$/.test(f) && !/\.test\.|__testUtils__/.test(f))
    .filter(f => fs.statSync(path.join(root, 'src', f)).mtimeMs > built);
  if (newer.length) {
    process.stderr.write(`warning: src/${newer[0]} is newer than dist/; run \`npm run build\` to measure the current code.\n`);
  }
}

/** Renders rows (arrays of cells) as an aligned plain-text table. */
export function table(header, rows) {
  const all = [header, ...rows].map(r => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map(r => r[i].length)));
  const line = r => r.map((cell, i) => cell.padEnd(widths[i])).join(' | ').trimEnd();
  return [line(all[0]), widths.map(w => '-'.repeat(w)).join('-|-'), ...all.slice(1).map(line)].join('\n');
}
