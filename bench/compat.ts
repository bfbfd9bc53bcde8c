// npm run test:compat: proves the dependency ranges of both packages, the
// frontend module and the Kubernetes backend module, at both ends. For the
// lowest and the highest versions each package's ranges allow, it installs a
// consistent set of Backstage packages into a scratch directory, type-checks
// the package's sources and runs its tests there, then checks the README's
// compatibility table against what it proved. An end whose versions are the
// ones the repository's lockfile installs is proved by `npm test` already,
// and is only compared, not installed again.
//
//   npm run test:compat                     check
//   npm run test:compat -- --update-readme  also rewrite the README table
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { fail, log, ownPackage, requireInstallAndRegistry, root, table } from './lib.ts';

const COMMAND = 'npm run test:compat';
requireInstallAndRegistry(COMMAND);

// Imported after the checks above, so that a tree without node_modules gets
// the message rather than a module-not-found stack.
const { default: semver } = await import('semver');
const { MODULES, duplicatedPackages, planEnds } = await import('./ends.ts');
const { createTemporaryDirectory, removeTemporaryDirectory } = await import('../dev/lib/temporaryDirectory.ts');
type End = import('./ends.ts').End;

// The frontend module's test libraries, at the ranges the repo uses.
const TEST_LIBS = ['react', 'react-dom', 'react-router-dom', '@testing-library/react', '@testing-library/dom', '@testing-library/jest-dom', '@types/react', '@types/react-dom'];
// What the backend module's tests import besides its dependencies and
// companions: the newest release as of the end's date, so from its release
// line at the lowest end.
const BACKEND_TEST_LIBS = { '@backstage/config': '*' };
const README_START = '<!-- compat-table -->';
const README_END = '<!-- /compat-table -->';
// frontend-test-utils 0.x neither fails a test app on app errors nor returns
// its APIs from renderTestApp; 1.0 does both, and the tests rely on it. At
// that end the harness adds the two around the old line's own app.
const HARNESS_DIR = path.join(root, 'bench/harness-0.x');

const label = (end: End) => `${end.module} ${end.name}`;

const bin = (name: string) => path.join(root, 'node_modules/.bin', name);

interface EndResult extends End {
  /** The repository's lockfile installs this end's versions: `npm test` proves it. */
  coveredByLockfile: boolean;
  typesOk: boolean;
  passed: number;
  failed: number;
  files: number;
  problems: string[];
  seconds: number;
}

interface JestResults {
  numPassedTests: number;
  numFailedTests: number;
  numTotalTests: number;
  numTotalTestSuites: number;
  testResults: { name: string; assertionResults: { status: string; fullName: string; failureMessages: string[] }[] }[];
}

function prepareScratch(end: End, harness: boolean) {
  const dir = createTemporaryDirectory(`compat-${end.module}-${end.name}`);
  const { manifest, ranges } = MODULES[end.module];
  let devDependencies: Record<string, string>;
  if (end.module === 'frontend') {
    fs.cpSync(path.join(root, 'src'), path.join(dir, 'src'), { recursive: true });
    fs.copyFileSync(path.join(root, 'config.d.ts'), path.join(dir, 'config.d.ts'));
    // The tests' JWT builder, shared with the bench.
    fs.mkdirSync(path.join(dir, 'dev/lib'), { recursive: true });
    fs.copyFileSync(path.join(root, 'dev/lib/jwt.ts'), path.join(dir, 'dev/lib/jwt.ts'));
    // The backend module's sources, which the frontend's tests hold its
    // config checks against; not its tests, which are the backend end's.
    fs.cpSync(path.join(root, 'backend/src'), path.join(dir, 'backend/src'), {
      recursive: true,
      filter: file => !/\.test\.tsx?$/.test(file) && path.basename(file) !== '__testUtils__',
    });
    devDependencies = Object.fromEntries(TEST_LIBS.map(lib => [lib, ownPackage.devDependencies[lib]]));
  } else {
    fs.cpSync(path.join(root, 'backend/src'), path.join(dir, 'src'), { recursive: true });
    devDependencies = { ...BACKEND_TEST_LIBS };
  }

  // The app provides the peer dependencies; here they are installed at this end.
  const dependencies: Record<string, string> = {};
  for (const [name, version] of Object.entries(end.pins)) {
    (name in ranges ? dependencies : devDependencies)[name] = version;
  }
  const peerDependencies = Object.fromEntries(Object.entries(manifest.peerDependencies ?? {}).filter(([name]) => !(name in ranges)));
  // The repository's jest roots (test/, backend/src) are not here.
  const packageJson: Record<string, unknown> = { ...manifest, dependencies, devDependencies, peerDependencies, jest: undefined };

  if (harness) {
    fs.cpSync(HARNESS_DIR, path.join(dir, 'harness-0.x'), { recursive: true });
    packageJson.jest = {
      moduleNameMapper: {
        '^@backstage/frontend-app-api$': '<rootDir>/../harness-0.x/frontend-app-api.ts',
        '^@backstage/frontend-test-utils$': '<rootDir>/../harness-0.x/frontend-test-utils.ts',
        // How the harness reaches the packages it stands in for.
        '^actual:(.*)$': '$1',
      },
    };
  }
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(packageJson, null, 2));
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: path.join(root, 'node_modules/@backstage/cli/config/tsconfig.json'),
      include: end.module === 'frontend' ? ['src', 'config.d.ts'] : ['src'],
      // The module's own sources: the tests are run here, not type-checked.
      exclude: ['src/**/*.test.*', 'src/__testUtils__', 'src/setupTests.ts'],
      compilerOptions: { noEmit: true, incremental: false, jsx: 'react-jsx', types: [] },
    }),
  );
  return dir;
}

async function install(end: End, dir: string) {
  // --legacy-peer-deps: Backstage trees carry stale React peer ranges (@material-ui/*).
  const args = ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', ...(end.before ? [`--before=${end.before}`] : [])];
  const npmInstall = await run('npm', args, dir);
  if (!npmInstall.ok) throw new Error(`npm install failed:\n${npmInstall.output.trim().split('\n').slice(-15).join('\n')}`);
  const problems: string[] = [];
  for (const [name, version] of Object.entries(end.pins)) {
    const installed = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
    if (installed !== version) problems.push(`${name} resolved to ${installed}, not ${version}`);
  }
  const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));
  for (const duplicate of duplicatedPackages(lock)) problems.push(`more than one copy installed: ${duplicate}`);
  return problems;
}

// Asynchronous, so that the ends install and run side by side.
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ ok: boolean; output: string }> {
  return new Promise(resolve => {
    execFile(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ ok: !error, output: `${stdout}${stderr}` || String(error?.message) }),
    );
  });
}

/** Whether the repository's own lockfile installs exactly this end's versions. */
function coveredByLockfile(end: End): boolean {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  return !end.before && Object.entries(end.pins).every(([name, version]) => lock.packages[`node_modules/${name}`]?.version === version);
}

async function proveEnd(end: End): Promise<EndResult> {
  const started = Date.now();
  const harness = end.module === 'frontend' && semver.lt(end.pins['@backstage/frontend-test-utils'], '1.0.0');
  if (coveredByLockfile(end)) {
    log(`\n[${label(end)}] the repository's lockfile installs these versions: proved by \`npm test\`, not installed again`);
    return { ...end, coveredByLockfile: true, typesOk: true, passed: 0, failed: 0, files: 0, problems: [], seconds: 0 };
  }
  const dir = prepareScratch(end, harness);
  const result = { ...end, coveredByLockfile: false, typesOk: false, passed: 0, failed: 0, files: 0, problems: [] as string[] };
  const done = (): EndResult => {
    if (result.problems.length && process.env.KEEP_TEMP !== '1') {
      result.problems.push(`to look into the scratch directory, run again with KEEP_TEMP=1`);
    }
    removeTemporaryDirectory(dir);
    return { ...result, seconds: Math.round((Date.now() - started) / 1000) };
  };

  log(`\n[${label(end)}] installing in ${dir}${end.before ? ` (registry as of ${end.before})` : ''}`);
  try {
    result.problems.push(...(await install(end, dir)));
  } catch (error) {
    result.problems.push((error as Error).message);
    return done();
  }

  log(`[${label(end)}] type-checking the ${end.module} module's sources`);
  const types = await run(bin('tsc'), ['-p', dir], dir);
  result.typesOk = types.ok;
  if (!types.ok) result.problems.push(`type errors:\n${types.output.trim()}`);

  log(`[${label(end)}] running the ${end.module} module's tests${harness ? ' (with bench/harness-0.x)' : ''}`);
  const resultsFile = path.join(dir, 'jest-results.json');
  // For a backend package, the CLI's jest leaves import() to Node, and the
  // Kubernetes backend imports @kubernetes/client-node (ESM only) that way:
  // jest runs it only with Node's VM modules. (The repository's own run
  // transpiles it, under the root package's frontend role.)
  const env = end.module === 'backend' ? { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules'].filter(Boolean).join(' ') } : process.env;
  const tests = await run(bin('backstage-cli'), ['package', 'test', '--watchAll=false', '--json', `--outputFile=${resultsFile}`], dir, env);
  const jest: JestResults | undefined = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : undefined;
  Object.assign(result, {
    passed: jest?.numPassedTests ?? 0,
    failed: jest?.numFailedTests ?? 0,
    files: jest?.numTotalTestSuites ?? 0,
  });
  if (!tests.ok || !jest?.numTotalTests) {
    const failures = jest?.testResults
      .flatMap(file =>
        file.assertionResults
          .filter(assertion => assertion.status === 'failed')
          .map(assertion => `  ${path.basename(file.name)}: ${assertion.fullName}\n    ${assertion.failureMessages[0]?.split('\n')[0]}`),
      )
      .join('\n');
    result.problems.push(`tests failed:\n${failures || tests.output.trim().split('\n').slice(-40).join('\n')}`);
  }
  return done();
}

function readmeTable(results: EndResult[]) {
  const rows = (['frontend', 'backend'] as const).flatMap(module => {
    const low = results.find(r => r.module === module && r.name === 'lowest')!;
    const high = results.find(r => r.module === module && r.name === 'highest')!;
    return Object.keys(low.pins).map(name => {
      const { manifest, ranges } = MODULES[module];
      let role: string = module;
      if (!(name in ranges)) role = `${module}, tested with`;
      else if (!(name in manifest.dependencies)) role = `${module}, peer`;
      return `| ${role} | \`${name}\` | ${low.pins[name]} | ${high.pins[name]} |`;
    });
  });
  return ['| module | package | lowest | highest |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Returns a problem when README.md's table is not what was proved. */
function checkReadme(results: EndResult[], update: boolean) {
  const file = path.join(root, 'README.md');
  const readme = fs.readFileSync(file, 'utf8');
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return `README.md has no ${README_START} ... ${README_END} block.`;
  const expected = readmeTable(results);
  if (readme.slice(start + README_START.length, end).trim() === expected) return undefined;
  if (update) {
    fs.writeFileSync(file, `${readme.slice(0, start + README_START.length)}\n${expected}\n${readme.slice(end)}`);
    log('\nUpdated the compatibility table in README.md.');
    return undefined;
  }
  return `README.md's compatibility table differs from what was proved. Run \`${COMMAND} -- --update-readme\`, or set it to:\n\n${expected}`;
}

const started = Date.now();
// The ends side by side: most of each is waiting on the registry.
const results = await Promise.all([...planEnds('frontend'), ...planEnds('backend')].map(proveEnd));

const rows = results.map(r => {
  const [types, tests] = r.coveredByLockfile ? ['npm test', 'npm test (lockfile)'] : [r.typesOk ? 'ok' : 'errors', `${r.passed}/${r.failed} in ${r.files} files`];
  return [r.module, r.name, Object.entries(r.pins).map(([pkg, version]) => `${pkg.replace('@backstage/', '')} ${version}`).join(', '), types, tests, `${r.seconds} s`];
});
log('', table(['module', 'end', 'versions', 'types', 'tests passed/failed', 'time'], rows));

const problems = results.flatMap(r => r.problems.map(problem => `[${label(r)}] ${problem}`));
if (!problems.length) {
  const readmeProblem = checkReadme(results, process.argv.includes('--update-readme'));
  if (readmeProblem) problems.push(readmeProblem);
}
log(`\nTook ${Math.round((Date.now() - started) / 1000)} s.`);
if (problems.length) fail(problems.join('\n\n'));
log("Both ends of both packages' ranges pass, and README.md lists what they proved.");
