// What a generated app's yarn.lock would hold had create-app's seed arrived.
//
// create-app seeds the app's yarn.lock with its release's versions, from a
// file on GitHub this machine cannot reach; without it, yarn resolves every
// range to the newest release, and the app mixes Backstage releases (seen:
// the signals backend failing with `httpRouter.addWebSocketHandler is not a
// function`, and a dozen @backstage packages installed twice). It also hides
// what matters to a module's dependency ranges: in an app whose lockfile
// holds the release's versions, yarn resolves a range it has not seen before
// to the newest release, even when a locked version satisfies it, so a
// module whose ranges are not the app's own installs a second copy.
//
// pinAppToTemplate puts the seed's effect back, in the app's root
// package.json `resolutions`, one entry per range (`name@npm:^1.2.3`), as a
// lockfile holds one entry per range: a range the app already uses stays on
// its version; a new range, such as one only a module asks for, resolves as
// it would in a real app. A @backstage package the template names is pinned
// at the template's version; every other one the app installs at the
// release's version: the highest lower bound among the ranges that packages
// already pinned (and the workspaces) ask for it with, since Backstage
// publishes each package with ranges that start at its own release. Ranges
// that version does not satisfy stay free, as the seed would have resolved
// them apart too. Pinning changes which versions are resolved and so which
// ranges they ask for: it repeats, resolving the lockfile only, until the
// pins no longer change.
import fs from 'node:fs';
import path from 'node:path';

import semver from 'semver';
import { parse } from 'yaml';

import { PieceError } from '../lib/errors.ts';
import { run } from '../lib/processes.ts';

const SCOPE = '@backstage/';
const MAX_ROUNDS = 10;

type LockEntry = { resolution?: string; dependencies?: Record<string, string> };

/** A yarn.lock entry's package: `name@npm:1.2.3` → name and version; workspaces have none. */
function lockedPackage(entry: LockEntry): { name: string; version: string } | undefined {
  const match = /^(@?[^@]+)@npm:(.+)$/.exec(entry.resolution ?? '');
  return match ? { name: match[1], version: match[2] } : undefined;
}

/** An entry's @backstage dependencies on npm ranges, as [name, range]. */
function backstageRanges(entry: LockEntry): [string, string][] {
  return Object.entries(entry.dependencies ?? {})
    .filter(([name, descriptor]) => name.startsWith(SCOPE) && descriptor.startsWith('npm:') && semver.validRange(descriptor.slice('npm:'.length)))
    .map(([name, descriptor]) => [name, descriptor.slice('npm:'.length)]);
}

/**
 * The release's versions, read off the app's yarn.lock: the template's own
 * (its workspaces' `^version` ranges), then, from the packages installed at
 * those versions outwards, the highest lower bound that any of them asks for.
 * Only packages already at the release's versions count, so that a package
 * the lockfile still holds at a newer release cannot pull others up.
 */
function releaseVersions(lock: LockEntry[]): Map<string, string> {
  const versions = new Map<string, string>();
  for (const entry of lock.filter(e => e.resolution?.includes('@workspace:'))) {
    for (const [name, range] of backstageRanges(entry)) {
      const version = /^\^(\d+\.\d+\.\d+)$/.exec(range)?.[1];
      if (version && (!versions.has(name) || semver.gt(version, versions.get(name)!))) versions.set(name, version);
    }
  }
  const template = new Set(versions.keys());
  for (let changed = true; changed; ) {
    changed = false;
    for (const entry of lock) {
      const pkg = lockedPackage(entry);
      const ofRelease = entry.resolution?.includes('@workspace:') || (pkg && versions.get(pkg.name) === pkg.version);
      if (!ofRelease) continue;
      for (const [name, range] of backstageRanges(entry)) {
        const floor = semver.minVersion(range)?.version;
        if (template.has(name) || !floor || (versions.has(name) && !semver.gt(floor, versions.get(name)!))) continue;
        versions.set(name, floor);
        changed = true;
      }
    }
  }
  return versions;
}

/** One resolution (`name@npm:range` → version) per range the app's lockfile holds that the release's version satisfies. */
function releasePins(appDir: string): Record<string, string> {
  const { __metadata, ...entries } = (parse(fs.readFileSync(path.join(appDir, 'yarn.lock'), 'utf8')) ?? {}) as Record<string, LockEntry>;
  const lock = Object.values(entries);
  const versions = releaseVersions(lock);
  const ranges = new Set(lock.flatMap(entry => backstageRanges(entry).map(([name, range]) => `${name}@npm:${range}`)));
  const resolutions: Record<string, string> = {};
  for (const descriptor of [...ranges].sort()) {
    const [, name, range] = /^(@[^@]+)@npm:(.+)$/.exec(descriptor)!;
    const version = versions.get(name);
    if (version && semver.satisfies(version, range)) resolutions[descriptor] = version;
  }
  return resolutions;
}

/**
 * Pins the app at `appDir` to its template's release (see above), resolving
 * its lockfile only; returns the rounds that took. The app's own `resolutions` stay.
 */
export async function pinAppToTemplate({ appDir, env, logFile }: { appDir: string; env: NodeJS.ProcessEnv; logFile: string }): Promise<number> {
  const manifestPath = path.join(appDir, 'package.json');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { resolutions?: Record<string, string> };
  const ownResolutions = Object.fromEntries(Object.entries(manifest.resolutions ?? {}).filter(([key]) => !key.startsWith(SCOPE)));
  const resolve = () => run('yarn', ['install', '--mode=update-lockfile'], { cwd: appDir, env, logFile });

  // An app generated with --skip-install has no resolved lockfile yet.
  if (!Object.keys(releasePins(appDir)).length) await resolve();
  let written: Record<string, string> = {};
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const pins = releasePins(appDir);
    if (JSON.stringify(pins) === JSON.stringify(written)) return round - 1;
    manifest.resolutions = { ...ownResolutions, ...pins };
    fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    await resolve();
    written = pins;
  }
  throw new PieceError('pin to the template', `the @backstage pins did not settle after ${MAX_ROUNDS} rounds of resolving; see ${logFile}`);
}
