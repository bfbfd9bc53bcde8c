// Helpers shared by the benchmark (bench/index.ts) and the version matrix
// (bench/compat.ts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface PackageJson {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [field: string]: unknown;
}

export const ownPackage: PackageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Writes lines to stdout (the scripts' output is their purpose). */
export function log(...lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Prints `message` and exits non-zero: for inputs the scripts cannot work with. */
export function fail(message: string, code = 1): never {
  process.stderr.write(`\n${message}\n`);
  process.exit(code);
}

/** Runs npm and returns its stdout; throws with npm's stderr on failure. */
export function npm(args: string[], { cwd = root }: { cwd?: string } = {}): string {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`npm ${args.join(' ')} failed:\n${result.stderr.trim().split('\n').slice(-15).join('\n')}`);
  }
  return result.stdout;
}

export const npmJson = <T = any>(args: string[], options?: { cwd?: string }): T => JSON.parse(npm([...args, '--json'], options));

/**
 * Both scripts run the repo's own toolchain and install from the registry;
 * say so plainly when either is missing, instead of letting npm retry for
 * minutes and end in a stack of ECONNREFUSED lines.
 */
export function requireInstallAndRegistry(command: string): void {
  if (!fs.existsSync(path.join(root, 'node_modules/.package-lock.json'))) {
    fail(`node_modules/ is missing: run \`npm ci\` first, then \`${command}\`.`);
  }
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

/** Renders rows (arrays of cells) as an aligned plain-text table. */
export function table(header: string[], rows: unknown[][]): string {
  const all = [header, ...rows].map(row => row.map(String));
  const widths = header.map((_, i) => Math.max(...all.map(row => row[i].length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i])).join(' | ').trimEnd();
  return [line(all[0]), widths.map(width => '-'.repeat(width)).join('-|-'), ...all.slice(1).map(line)].join('\n');
}
