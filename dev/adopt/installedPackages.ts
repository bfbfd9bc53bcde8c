// What a yarn project has installed, asked of yarn itself (`yarn info`,
// `yarn why`), so that the count is the package manager's own: the packages
// an install added, and the @backstage packages installed at more than one
// version.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { PieceError } from '../lib/errors.ts';

const execFileAsync = promisify(execFile);

type Options = { cwd: string; env: NodeJS.ProcessEnv };

async function yarn(args: string[], { cwd, env }: Options): Promise<string> {
  try {
    const { stdout } = await execFileAsync('yarn', args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new PieceError(`\`yarn ${args.join(' ')}\``, `${stdout}${stderr}`.trim().split('\n').slice(-15).join('\n'));
  }
}

/** A locator's package name. */
const nameOf = (locator: string) => locator.slice(0, locator.indexOf('@', 1));

/**
 * A registry package's locator as `name@version`: `name@npm:1.2.3`, or
 * `name@virtual:<hash>#npm:1.2.3` for an instance that peer dependencies made
 * (which counts once). Workspaces and tarballs are the project's own: none.
 */
function registryPackage(locator: string): string | undefined {
  const version = /(?:^|[:#])npm:([^#]+)$/.exec(locator.slice(locator.indexOf('@', 1) + 1))?.[1];
  return version && `${nameOf(locator)}@${version}`;
}

/** `name@version` → name. */
export const packageName = (pkg: string) => pkg.slice(0, pkg.lastIndexOf('@'));

/**
 * Every registry package the project has resolved, as `name@version`.
 * `pattern` narrows it, e.g. `@backstage/*`.
 */
export async function installedPackages(options: Options, pattern?: string): Promise<Set<string>> {
  const output = await yarn(['info', ...(pattern ? [pattern] : []), '--all', '--recursive', '--name-only', '--json'], options);
  const packages = new Set<string>();
  for (const line of output.split('\n').filter(Boolean)) {
    const pkg = registryPackage(JSON.parse(line) as string);
    if (pkg) packages.add(pkg);
  }
  return packages;
}

/**
 * The registry packages the project's dependency `name` brings, directly
 * or through others, as `name@version`, by yarn's account of the project's
 * dependency graph (`yarn info --all --recursive`). Peer dependencies are
 * the parent's, and are not counted.
 */
export async function packagesBroughtBy(name: string, options: Options): Promise<Set<string>> {
  const output = await yarn(['info', '--all', '--recursive', '--json'], options);
  const devirtualize = (locator: string) => locator.replace(/@virtual:[^#]+#/, '@');
  const graph = new Map<string, Set<string>>();
  for (const line of output.split('\n').filter(Boolean)) {
    const { value, children } = JSON.parse(line) as { value: string; children: { Dependencies?: { locator: string }[] } };
    const edges = graph.get(devirtualize(value)) ?? new Set<string>();
    for (const { locator } of children.Dependencies ?? []) edges.add(devirtualize(locator));
    graph.set(devirtualize(value), edges);
  }
  const roots = [...graph.keys()].filter(locator => nameOf(locator) === name);
  if (!roots.length) throw new PieceError(`yarn info ${name}`, `the project has no ${name}`);
  const seen = new Set<string>(roots);
  for (const locator of seen) for (const next of graph.get(locator) ?? []) seen.add(next);
  return new Set([...seen].filter(locator => nameOf(locator) !== name).map(registryPackage).filter((pkg): pkg is string => Boolean(pkg)));
}

export interface AddedPackage {
  /** The registry packages it brings that the project did not have before it was added. */
  packagesAdded: string[];
  /**
   * The @backstage packages of which it brings a version other than the one
   * the app has: second copies.
   */
  secondCopies: string[];
}

/**
 * What the project's dependency `name`, just added, costs: compared with the
 * project's packages before it was added (`before`) and with the app's own
 * @backstage packages (`app`; the app as generated, before any addition).
 */
export async function measureAddedPackage(name: string, { before, app }: { before: Set<string>; app: Set<string> }, options: Options): Promise<AddedPackage> {
  const brought = [...(await packagesBroughtBy(name, options))];
  const appNames = new Set([...app].map(packageName));
  return {
    packagesAdded: brought.filter(pkg => !before.has(pkg)).sort(),
    secondCopies: brought.filter(pkg => pkg.startsWith('@backstage/') && appNames.has(packageName(pkg)) && !app.has(pkg)).sort(),
  };
}

/** The @backstage packages installed at more than one version: name → versions. */
export async function duplicatedBackstagePackages(options: Options): Promise<Map<string, string[]>> {
  const versions = new Map<string, string[]>();
  for (const pkg of await installedPackages(options, '@backstage/*')) {
    const name = packageName(pkg);
    versions.set(name, [...(versions.get(name) ?? []), pkg.slice(name.length + 1)]);
  }
  return new Map([...versions].filter(([, list]) => list.length > 1).map(([name, list]) => [name, list.sort()]));
}

/** `yarn why NAME`: which packages ask for which version of it. */
export function why(name: string, options: Options): Promise<string> {
  return yarn(['why', name], options);
}

/** The duplicates `after` has and `before` had not, with yarn's account of each. */
export async function newDuplicates(
  before: Map<string, string[]>,
  after: Map<string, string[]>,
  options: Options,
): Promise<{ names: string[]; report: string }> {
  const names = [...after.keys()].filter(name => after.get(name)!.join() !== before.get(name)?.join());
  const accounts = await Promise.all(names.map(async name => `${name} ${after.get(name)!.join(' + ')}; yarn why ${name}:\n${(await why(name, options)).trimEnd()}`));
  return { names, report: accounts.join('\n\n') };
}
