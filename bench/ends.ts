// The two ends of the module's dependency ranges, as installable sets of
// versions. Used by test:compat, which proves them, and by the benchmark,
// which installs the module into an app at each end.
import semver from 'semver';

import { fail, npmJson, ownPackage } from './lib.ts';

export const MODULE_DEPS = Object.keys(ownPackage.dependencies);

// What the tests boot the module with. Each end gets the newest release of
// these that accepts that end's versions of the module's dependencies.
export const COMPANIONS = ['@backstage/plugin-kubernetes', '@backstage/frontend-test-utils'];

// Besides every @backstage/ package, those of which a second copy would split
// an app's React tree or router.
const SINGLETONS = ['react', 'react-dom', 'react-router-dom'];

export interface End {
  name: 'lowest' | 'highest';
  /** The version of each module dependency and companion at this end. */
  pins: Record<string, string>;
  /** For the lowest end: install the rest of the tree as the registry stood then (npm's --before). */
  before?: string;
}

export interface NpmLock {
  packages: Record<string, { version: string }>;
}

export function planEnds(): End[] {
  const registry = new Map<string, { versions: string[]; time: Record<string, string> }>();
  const releases = (name: string) => {
    if (!registry.has(name)) {
      const { versions, time } = npmJson<{ versions: string[]; time: Record<string, string> }>(['view', name, 'versions', 'time']);
      registry.set(name, { versions: versions.filter(v => !semver.prerelease(v)), time });
    }
    return registry.get(name)!;
  };
  const ends = [
    { name: 'lowest', pick: semver.minSatisfying },
    { name: 'highest', pick: semver.maxSatisfying },
  ] as const;
  return ends.map(({ name, pick }) => {
    const pins: Record<string, string> = {};
    for (const dep of MODULE_DEPS) {
      const version = pick(releases(dep).versions, ownPackage.dependencies[dep]);
      if (!version) fail(`No release of ${dep} matches ${ownPackage.dependencies[dep]}.`);
      pins[dep] = version;
    }
    for (const companion of COMPANIONS) {
      const candidates = [npmJson<{ version: string; dependencies?: Record<string, string> }[]>(['view', `${companion}@>=0.0.0`, 'version', 'dependencies'])].flat();
      const fitting = candidates
        .filter(({ dependencies = {} }) => MODULE_DEPS.every(dep => !dependencies[dep] || semver.satisfies(pins[dep], dependencies[dep])))
        .map(candidate => candidate.version);
      const version = semver.maxSatisfying(fitting, '*');
      if (!version) fail(`No release of ${companion} works with ${JSON.stringify(pins)}.`);
      pins[companion] = version;
    }
    // The lowest end installs everything else as the registry stood when its
    // pinned versions were current, so its other Backstage packages (core
    // components, catalog, app framework) come from the same release line, as
    // in an app that has not upgraded, rather than from today's.
    const before =
      name === 'lowest'
        ? new Date(Math.max(...Object.entries(pins).map(([pkg, version]) => Date.parse(releases(pkg).time[version])))).toISOString()
        : undefined;
    return { name, pins, before };
  });
}

/**
 * Packages an npm lockfile holds more than one copy of, among every
 * @backstage/ package and React, as `name@version+version`.
 */
export function duplicatedPackages(lock: NpmLock): string[] {
  const copies: Record<string, string[]> = {};
  for (const [location, { version }] of Object.entries(lock.packages)) {
    const name = location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (location && (name.startsWith('@backstage/') || SINGLETONS.includes(name))) (copies[name] ??= []).push(version);
  }
  return Object.entries(copies)
    .filter(([, versions]) => versions.length > 1)
    .map(([name, versions]) => `${name}@${versions.join('+')}`);
}
