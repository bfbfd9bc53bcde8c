// npm run bench: what the module costs an app, in one table for people,
// written to bench-results.json. The gates fail the run (and CI); the other
// goals are reported. Bundle bytes come from size-limit (.size-limit.json) on
// the packed package, the packages npm apps get from footprint.ts, and the
// token flow's figures from its jest test (src/tokenBudgets.test.tsx). What
// the packages bring to a create-app app is test:adopt's gate, on its app.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { Steps } from '../dev/adopt/steps.ts';
import { fail, log, ownPackage, requireInstallAndRegistry, root, table } from './lib.ts';

const COMMAND = 'npm run bench';
requireInstallAndRegistry(COMMAND);
// After the checks, so that a tree without node_modules gets their message.
const { packageTarball } = await import('../dev/lib/pack.ts');
const { createTemporaryDirectory } = await import('../dev/lib/temporaryDirectory.ts');
const { npmApps } = await import('./footprint.ts');

const steps = new Steps();

// Removed when the process ends (KEEP_TEMP=1 keeps it).
const scratch = createTemporaryDirectory('bench');
const dir = (name: string) => fs.mkdtempSync(path.join(scratch, `${name}-`));
// The tarball that SPECTROCLOUD_PACKAGE_TARBALL names, or packed from a clean checkout.
const frontend = await steps.run('Packing the module (or taking SPECTROCLOUD_PACKAGE_TARBALL)', () =>
  packageTarball({ repoDir: root, dir: dir('pack'), logFile: path.join(scratch, 'pack.log') }),
);

const bundle = await steps.run('Measuring the packed dist/ with size-limit', () => {
  // The package as an app gets it; the repository's node_modules for what it imports.
  const unpacked = dir('package');
  execFileSync('tar', ['-xzf', frontend.tarball, '-C', unpacked, '--strip-components=1']);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(unpacked, 'node_modules'));
  fs.copyFileSync(path.join(root, '.size-limit.json'), path.join(unpacked, '.size-limit.json'));
  const sizeLimit = spawnSync(path.join(root, 'node_modules/.bin/size-limit'), ['--json', '--config', path.join(unpacked, '.size-limit.json')], { cwd: root, encoding: 'utf8' });
  if (!sizeLimit.stdout.trim().startsWith('[')) fail(`size-limit failed:\n${sizeLimit.stdout}${sizeLimit.stderr}`);
  return JSON.parse(sizeLimit.stdout) as { name: string; size: number; sizeLimit?: number; passed?: boolean }[];
});
const apps = await steps.run('Installing the packed module into a current and a previous-line npm app', () => npmApps(frontend.tarball, dir('npm-apps')));
const figuresFile = path.join(scratch, 'token-budgets.json');
const jest = await steps.run('Running the token-flow budgets (jest, src/tokenBudgets.test.tsx)', () =>
  spawnSync(path.join(root, 'node_modules/.bin/backstage-cli'), ['package', 'test', '--watchAll=false', 'src/tokenBudgets'], { cwd: root, encoding: 'utf8', env: { ...process.env, TOKEN_BUDGET_FIGURES: figuresFile } }),
);
if (!fs.existsSync(figuresFile)) fail(`The token-flow budgets wrote no figures:\n${jest.stderr}`);
const tokens: {
  tabLoads: { clusters: number; tokenFetches: number; onPodLogs: number }[];
  environments: { clusters: number; perEnvironment: number[] }[];
  renewals: { clusters: number; renewals: number }[];
  lifetimes: { lifetime: number; clusters: number; renewalsPerLifetime: number; expiredSent: number }[];
} = JSON.parse(fs.readFileSync(figuresFile, 'utf8'));

fs.writeFileSync(
  path.join(root, 'bench-results.json'),
  `${JSON.stringify({ package: `${ownPackage.name}@${ownPackage.version}`, node: process.version, measuredAt: new Date(), bundle, apps, tokens }, null, 2)}\n`,
);

const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
const each = (values: unknown[]) => values.join(' / ');
const clusters = (runs: { clusters: number }[]) => `${each(runs.map(run => run.clusters))} clusters`;
const rows: unknown[][] = [
  ...bundle.map(({ name, size, sizeLimit, passed }) => [`bundle: ${name}`, `${size} B gzip`, sizeLimit ? `<= ${sizeLimit} B` : 'reported', sizeLimit ? met(!!passed) : '']),
  ['npm apps, current / previous line: packages added', each(apps.map(app => app.packagesAdded.length)), '', ''],
  ['  Backstage packages held twice', each(apps.map(app => app.duplicated.length)), '0', met(apps.every(app => !app.duplicated.length))],
  [`token fetches per tab load, ${clusters(tokens.tabLoads)}`, each(tokens.tabLoads.map(l => l.tokenFetches)), '1 each', met(tokens.tabLoads.every(l => l.tokenFetches === 1))],
  ['  then by pod logs of every cluster', each(tokens.tabLoads.map(l => l.onPodLogs)), '0', met(tokens.tabLoads.every(l => l.onPodLogs === 0))],
  [`token fetches per environment, 3 environments, ${clusters(tokens.environments)}`, each(tokens.environments.map(l => l.perEnvironment.join('+'))), '1 each', met(tokens.environments.every(l => l.perEnvironment.every(n => n === 1)))],
  ['renewals of an ID token 30 s from its exp, same loads', each(tokens.renewals.map(l => l.renewals)), '1 each', met(tokens.renewals.every(l => l.renewals === 1))],
  [`renewals per ${each(tokens.lifetimes.map(r => r.lifetime))} s ID-token lifetime, ${clusters(tokens.lifetimes.slice(0, 1))}, open tab polling every 10 s`, each(tokens.lifetimes.map(r => Number(r.renewalsPerLifetime.toFixed(2)))), 'reported', ''],
  ['  expired ID tokens sent, all of those polls', tokens.lifetimes.reduce((sum, r) => sum + r.expiredSent, 0), '0', met(tokens.lifetimes.every(r => r.expiredSent === 0))],
];
log(`\n${table(['figure', 'measured', 'goal', ''], rows)}`);
log('Wrote bench-results.json');

// The gates. The token flow's are the jest test's assertions.
const regressions = [
  ...bundle.filter(entry => entry.passed === false).map(entry => `bundle: ${entry.name} is ${entry.size} B gzip, over its ceiling of ${entry.sizeLimit} B`),
  ...apps.flatMap(app => app.duplicated).map(copies => `installing the module into an npm app holds ${copies}`),
  ...(jest.status === 0 ? [] : [`token-flow budgets failed (details: npx backstage-cli package test --watchAll=false src/tokenBudgets):\n${jest.stderr.split('\n').filter(line => /●|Tests:/.test(line)).join('\n')}`]),
];
if (regressions.length) fail(`${COMMAND} failed its gates:\n${regressions.map(problem => `  - ${problem}`).join('\n')}`);
