// npm run bench: what the module costs an app, in figures a user can act on.
// Prints a table and writes bench-results.json. A benchmark, not a test:
// missed goals are reported, not failed.
import fs from 'node:fs';
import path from 'node:path';

import { log, ownPackage, requireBuild, requireInstall, requireRegistry, root, table } from './lib.ts';

const COMMAND = 'npm run bench';
requireInstall(COMMAND);
requireBuild(COMMAND);
requireRegistry(COMMAND);

// Imported after the checks above, so a tree without node_modules gets the
// message rather than a module-not-found stack.
const { planEnds } = await import('./ends.ts');
const { measureBundleSize } = await import('./bundleSize.ts');
const { measureFootprint } = await import('./footprint.ts');
const { measureRenewalsPerLifetime, measureTokenFlow } = await import('./tokenFlow.ts');

const GOALS = {
  moduleGzipBytes: 1024,
  duplicatedPackages: 0,
  tokenFetchesPerTabLoad: 1,
  renewalsPerTabLoad: 1,
  renewalsPerLifetime: 1,
};
// ID-token lifetimes of the open-tab measurement: the browser test's, and
// two a tenant may set.
const LIFETIMES_SECONDS = [20, 600, 3600];
const CLUSTER_COUNTS = [1, 10, 100];

async function step<T>(label: string, measure: () => T | Promise<T>): Promise<T> {
  process.stdout.write(`${label}...`);
  const start = Date.now();
  const result = await measure();
  process.stdout.write(` ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  return result;
}

const bundle = await step('Bundling the app with and without the module', measureBundleSize);
const footprint = await step('Installing the packed module into a current and a previous-line app', () => measureFootprint(planEnds()));
const { loads, expiringLoads } = await step('Loading the Kubernetes tab against a counting auth endpoint', () => measureTokenFlow(CLUSTER_COUNTS));
const openTab = await step('Keeping the Kubernetes tab open across three ID-token lifetimes, against a renewing auth endpoint', () =>
  measureRenewalsPerLifetime(CLUSTER_COUNTS, { lifetimesSeconds: LIFETIMES_SECONDS }),
);
const renewals = expiringLoads.map(load => ({ clusters: load.clusters, renewals: load.tokenFetches - 1, refreshOnProxyCalls: load.refreshOnProxyCalls }));

const results = {
  package: `${ownPackage.name}@${ownPackage.version}`,
  node: process.version,
  measuredAt: new Date().toISOString(),
  bundleSize: {
    ...bundle,
    goal: { moduleGzipBytesAtMost: GOALS.moduleGzipBytes },
    met: bundle.module.gzip <= GOALS.moduleGzipBytes,
  },
  installFootprint: {
    ...footprint,
    goal: { duplicatedPackages: GOALS.duplicatedPackages },
    met: footprint.apps.every(app => app.duplicatedPackages.length === GOALS.duplicatedPackages),
  },
  tokenFetches: {
    loads,
    goal: { tokenFetchesPerTabLoad: GOALS.tokenFetchesPerTabLoad, refreshOnProxyCalls: 0 },
    met: loads.every(load => load.tokenFetches === GOALS.tokenFetchesPerTabLoad && load.refreshOnProxyCalls === 0),
  },
  // The same loads with an ID token half a minute from expiry at first.
  tokenRenewals: {
    loads: renewals,
    goal: { renewalsPerTabLoad: GOALS.renewalsPerTabLoad, refreshOnProxyCalls: 0 },
    met: renewals.every(load => load.renewals === GOALS.renewalsPerTabLoad && load.refreshOnProxyCalls === 0),
  },
  // The tab left open, polling every 10 s, across three ID-token lifetimes.
  renewalsPerLifetime: {
    runs: openTab,
    goal: { renewalsPerLifetimeAtMost: GOALS.renewalsPerLifetime, expiredTokensSent: 0 },
    met: openTab.every(run => run.renewalsPerLifetime <= GOALS.renewalsPerLifetime && run.expiredSent === 0),
  },
};

fs.writeFileSync(path.join(root, 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);

const bytes = ({ raw, gzip }: { raw: number; gzip: number }) => `${gzip} B gzip (${raw} B raw)`;
const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
const { apps } = footprint;
log(
  `\n${table(
    ['figure', 'measured', 'goal', ''],
    [
      ['bundle: module', bytes(bundle.module), `<= ${GOALS.moduleGzipBytes} B gzip`, met(results.bundleSize.met)],
      ['bundle: opt-in auth API', bytes(bundle.optInAuthApi), 'counted separately', ''],
      ['packages added, current / previous-line app', apps.map(app => app.packagesAdded).join(' / '), '', ''],
      ['duplicated Backstage packages, same apps', apps.map(app => app.duplicatedPackages.length).join(' / '), '0', met(results.installFootprint.met)],
      [`token fetches, ${loads.map(load => load.clusters).join(' / ')} clusters`, loads.map(load => load.tokenFetches).join(' / '), '1 each', met(results.tokenFetches.met)],
      ['  of which by proxy calls', loads.map(load => `${load.refreshOnProxyCalls} of ${load.proxyCalls}`).join(' / '), '0', ''],
      ['renewals of an expiring ID token, same loads', renewals.map(load => load.renewals).join(' / '), '1 each', met(results.tokenRenewals.met)],
      ...LIFETIMES_SECONDS.map(lifetime => {
        const runs = openTab.filter(run => run.lifetimeSeconds === lifetime);
        return [
          `renewals per ${lifetime} s ID-token lifetime, open tab, ${runs.map(run => run.clusters).join(' / ')} clusters`,
          runs.map(run => Number(run.renewalsPerLifetime.toFixed(2))).join(' / '),
          `<= ${GOALS.renewalsPerLifetime} each`,
          met(runs.every(run => run.renewalsPerLifetime <= GOALS.renewalsPerLifetime)),
        ];
      }),
      ['  expired ID tokens sent, all of those polls', openTab.reduce((sum, run) => sum + run.expiredSent, 0), '0', met(openTab.every(run => run.expiredSent === 0))],
    ],
  )}\n\nWrote bench-results.json`,
);
