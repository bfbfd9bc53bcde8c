// npm run bench: what the module costs an app. Prints a table and writes
// bench-results.json. A benchmark, not a test: missed goals are reported,
// not failed.
import fs from 'node:fs';
import path from 'node:path';
import { log, ownPackage, requireBuild, requireInstall, requireRegistry, root, table } from './lib.mjs';

const COMMAND = 'npm run bench';
requireInstall(COMMAND);
requireBuild(COMMAND);
requireRegistry(COMMAND);

// Imported after the checks above, so a tree without node_modules gets the
// message rather than a module-not-found stack.
const { planEnds } = await import('./ends.mjs');
const { measureBundleSize } = await import('./bundleSize.mjs');
const { measureFootprint } = await import('./footprint.mjs');
const { measureTokenFlow } = await import('./tokenFlow.mjs');

const GOALS = {
  moduleGzipBytes: 1024,
  duplicatedPackages: 0,
  tokenFetchesPerTabLoad: 1,
  decorateRatio: 1.05,
};

const step = async (label, measure) => {
  process.stdout.write(`${label}...`);
  const start = Date.now();
  const result = await measure();
  process.stdout.write(` ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  return result;
};

const bundle = await step('Bundling the app with and without the module', measureBundleSize);
const footprint = await step('Installing the packed module into a current and a previous-line app', () => measureFootprint(planEnds()));
const flow = await step('Loading the Kubernetes tab against a counting auth endpoint', () => measureTokenFlow([1, 10, 100]));

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
    met: footprint.apps.every(a => a.duplicatedPackages.length === GOALS.duplicatedPackages),
  },
  tokenFetches: {
    loads: flow.loads,
    goal: { tokenFetchesPerTabLoad: GOALS.tokenFetchesPerTabLoad, refreshOnProxyCalls: 0 },
    met: flow.loads.every(l => l.tokenFetches === GOALS.tokenFetchesPerTabLoad && l.refreshOnProxyCalls === 0),
  },
  decorateRequestBodyForAuth: {
    ...flow.ratio,
    goal: { ratioAtMost: GOALS.decorateRatio },
    met: flow.ratio.ratio <= GOALS.decorateRatio,
  },
};

fs.writeFileSync(path.join(root, 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);

const bytes = ({ raw, gzip }) => `${gzip} B gzip (${raw} B raw)`;
const met = ok => (ok ? 'met' : 'MISSED');
const loads = flow.loads;
const apps = footprint.apps;
log(`\n${table(['figure', 'measured', 'goal', ''], [
  ['bundle: module', bytes(bundle.module), `<= ${GOALS.moduleGzipBytes} B gzip`, met(results.bundleSize.met)],
  ['bundle: opt-in auth API', bytes(bundle.optInAuthApi), 'counted separately', ''],
  ['packages added, current / previous-line app', apps.map(a => a.packagesAdded).join(' / '), '', ''],
  ['duplicated Backstage packages, same apps', apps.map(a => a.duplicatedPackages.length).join(' / '), '0', met(results.installFootprint.met)],
  [`token fetches, ${loads.map(l => l.clusters).join(' / ')} clusters`, loads.map(l => l.tokenFetches).join(' / '), '1 each', met(results.tokenFetches.met)],
  ['  of which by proxy calls', loads.map(l => `${l.refreshOnProxyCalls} of ${l.proxyCalls}`).join(' / '), '0', ''],
  ['decorateRequestBodyForAuth module/stock', `${flow.ratio.ratio} (${flow.ratio.moduleNsPerCall} / ${flow.ratio.stockNsPerCall} ns)`, `<= ${GOALS.decorateRatio}`, met(results.decorateRequestBodyForAuth.met)],
])}\n\nWrote bench-results.json`);
