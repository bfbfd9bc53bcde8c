// The two ends of the dependency ranges of each of the repository's two
// packages (the frontend module at the root, the Kubernetes backend module in
// backend/), as installable sets of versions. Used by test:compat, which
// proves them, and by the benchmark, which installs the frontend module into
// an app at each end.
import fs from 'node:fs';
import path from 'node:path';

import semver from 'semver';

import { fail, npmJson, ownPackage, root, type PackageJson } from './lib.ts';

/**
 * The package in the repository's folder `dir`: its manifest; the ranges
 * proved at both ends, its dependencies and its @backstage peer dependencies
 * (which the app provides); and the `companions` its tests boot it with, each
 * end at the newest release that accepts that end's versions of the ranges.
 */
function modulePackage(dir: string, companions: string[]) {
  const manifest: PackageJson = dir === '.' ? ownPackage : JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
  const backstagePeers = Object.entries(manifest.peerDependencies ?? {}).filter(([name]) => name.startsWith('@backstage/'));
  return { manifest, ranges: { ...manifest.dependencies, ...Object.fromEntries(backstagePeers) }, companions };
}

export const MODULES = {
  frontend: modulePackage('.', ['@backstage/plugin-kubernetes', '@backstage/frontend-test-utils']),
  backend: modulePackage('backend', ['@backstage/backend-test-utils', '@backstage/plugin-catalog-node']),
};
export type ModuleName = keyof typeof MODULES;

// Besides every @backstage/ package, those of which a second copy would split
// an app's React tree or router.
const SINGLETONS = ['react', 'react-dom', 'react-router-dom'];

export interface End {
  module: ModuleName;
  name: 'lowest' | 'highest';
  /** The version of each of the package's ranges and of each companion at this end. */
  pins: Record<string, string>;
  /** For the lowest end: install the rest of the tree as the registry stood then (npm's --before). */
  before?: string;
}

export interface NpmLock {
  packages: Record<string, { version: string }>;
}

/** The lowest and the highest end of a package's ranges (the frontend module's by default). */
export function planEnds(module: ModuleName = 'frontend'): End[] {
  const { ranges, companions } = MODULES[module];
  const deps = Object.keys(ranges);
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
    for (const dep of deps) {
      const version = pick(releases(dep).versions, ranges[dep]);
      if (!version) fail(`No release of ${dep} matches ${ranges[dep]}.`);
      pins[dep] = version;
    }
    for (const companion of companions) {
      const candidates = [npmJson<{ version: string; dependencies?: Record<string, string> }[]>(['view', `${companion}@>=0.0.0`, 'version', 'dependencies'])].flat();
      const fitting = candidates
        .filter(({ dependencies = {} }) => deps.every(dep => !dependencies[dep] || semver.satisfies(pins[dep], dependencies[dep])))
        .map(candidate => candidate.version);
      const version = semver.maxSatisfying(fitting, '*');
      if (!version) fail(`No release of ${companion} works with ${JSON.stringify(pins)}.`);
      pins[companion] = version;
    }
    // The lowest end installs everything else as the registry stood when its
    // pinned versions were current, so its other Backstage packages (core
    // components, catalog, app framework, backend system) come from the same
    // release line, as in an app that has not upgraded, rather than from
    // today's.
    const before =
      name === 'lowest'
        ? new Date(Math.max(...Object.entries(pins).map(([pkg, version]) => Date.parse(releases(pkg).time[version])))).toISOString()
        : undefined;
    return { module, name, pins, before };
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
