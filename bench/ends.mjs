// The two ends of the module's dependency ranges, as installable sets of
// versions. Used by test:compat, which proves them, and by the benchmark,
// which installs the module into an app at each end.
import semver from 'semver';
import { fail, npmJson, ownPackage } from './lib.mjs';

export const MODULE_DEPS = Object.keys(ownPackage.dependencies);

// What the tests boot the module with. Each end gets the newest release of
// these that accepts that end's versions of the module's dependencies.
export const COMPANIONS = ['@backstage/plugin-kubernetes', '@backstage/frontend-test-utils'];

// Besides every @backstage/ package, those of which a second copy would split
// an app's React tree or router.
const SINGLETONS = ['react', 'react-dom', 'react-router-dom'];

/**
 * The versions each end pins and, for the lowest end, the registry date to
 * install the rest of the tree at (npm's --before).
 */
export function planEnds() {
  const registry = new Map();
  const releases = name => {
    if (!registry.has(name)) {
      const { versions, time } = npmJson(['view', name, 'versions', 'time']);
      registry.set(name, { versions: versions.filter(v => !semver.prerelease(v)), time });
    }
    return registry.get(name);
  };
  return [
    { name: 'lowest', pick: semver.minSatisfying },
    { name: 'highest', pick: semver.maxSatisfying },
  ].map(({ name, pick }) => {
    const pins = {};
    for (const dep of MODULE_DEPS) {
      pins[dep] = pick(releases(dep).versions, ownPackage.dependencies[dep]);
      if (!pins[dep]) fail(`No release of ${dep} matches ${ownPackage.dependencies[dep]}.`);
    }
    for (const companion of COMPANIONS) {
      const candidates = [npmJson(['view', `${companion}@>=0.0.0`, 'version', 'dependencies'])].flat();
      const fitting = candidates
        .filter(({ dependencies = {} }) =>
          MODULE_DEPS.every(dep => !dependencies[dep] || semver.satisfies(pins[dep], dependencies[dep])),
        )
        .map(c => c.version);
      pins[companion] = semver.maxSatisfying(fitting, '*');
      if (!pins[companion]) fail(`No release of ${companion} works with ${JSON.stringify(pins)}.`);
    }
    // The lowest end installs everything else as the registry stood when its
    // pinned versions were current, so its other Backstage packages (core
    // components, catalog, app framework) come from the same release line, as
    // in an app that has not upgraded, rather than from today's.
    const before =
      name === 'lowest'
        ? new Date(Math.max(...Object.entries(pins).map(([p, v]) => Date.parse(releases(p).time[v])))).toISOString()
        : undefined;
    return { name, pins, before };
  });
}

/**
 * Packages an npm lockfile holds more than one copy of, among every
 * @backstage/ package and React, as `name@version+version`.
 */
export function duplicatedPackages(lock) {
  const copies = {};
  for (const [location, { version }] of Object.entries(lock.packages)) {
    const name = location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (location && (name.startsWith('@backstage/') || SINGLETONS.includes(name))) (copies[name] ??= []).push(version);
  }
  return Object.entries(copies)
    .filter(([, versions]) => versions.length > 1)
    .map(([name, versions]) => `${name}@${versions.join('+')}`);
}
