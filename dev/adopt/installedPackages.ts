// What a yarn project has resolved, asked of yarn itself (`yarn info`), so
// that the count is the package manager's own: the packages a dependency brings.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { PieceError } from '../lib/errors.ts';

const execFileAsync = promisify(execFile);

type Options = { cwd: string; env: NodeJS.ProcessEnv };

export async function yarn(args: string[], { cwd, env }: Options): Promise<string> {
  try {
    const { stdout } = await execFileAsync('yarn', args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new PieceError(`\`yarn ${args.join(' ')}\``, `${stdout}${stderr}`.trim().split('\n').slice(-15).join('\n'));
  }
}

/** A locator's (or a `name@version`'s) package name. */
export const nameOf = (locator: string) => locator.slice(0, locator.indexOf('@', 1));
const jsonLines = (output: string) => output.split('\n').filter(Boolean).map(line => JSON.parse(line));

/**
 * A registry package's locator (`name@npm:1.2.3`, or `name@virtual:<hash>#npm:1.2.3`
 * for an instance peer dependencies made) as `name@version`; workspaces and tarballs: none.
 */
function registryPackage(locator: string): string[] {
  const version = /(?:^|[:#])npm:([^#]+)$/.exec(locator.slice(locator.indexOf('@', 1) + 1))?.[1];
  return version ? [`${nameOf(locator)}@${version}`] : [];
}

/** Every registry package the project has resolved, as `name@version`; `pattern` narrows it, e.g. `@backstage/*`. */
export async function installedPackages(options: Options, pattern?: string): Promise<Set<string>> {
  const output = await yarn(['info', ...(pattern ? [pattern] : []), '--all', '--recursive', '--name-only', '--json'], options);
  return new Set(jsonLines(output).flatMap(registryPackage));
}

/**
 * The registry packages the project's dependency `name` brings, directly or
 * through others, by yarn's account of the project's dependency graph (`yarn
 * info --all --recursive`). Peer dependencies are the parent's: not counted.
 */
export async function packagesBroughtBy(name: string, options: Options): Promise<Set<string>> {
  const devirtualize = (locator: string) => locator.replace(/@virtual:[^#]+#/, '@');
  const graph = new Map<string, Set<string>>();
  for (const { value, children } of jsonLines(await yarn(['info', '--all', '--recursive', '--json'], options)) as { value: string; children: { Dependencies?: { locator: string }[] } }[]) {
    const edges = graph.get(devirtualize(value)) ?? new Set<string>();
    for (const { locator } of children.Dependencies ?? []) edges.add(devirtualize(locator));
    graph.set(devirtualize(value), edges);
  }
  const seen = new Set([...graph.keys()].filter(locator => nameOf(locator) === name));
  if (!seen.size) throw new PieceError(`yarn info ${name}`, `the project has no ${name}`);
  for (const locator of seen) for (const next of graph.get(locator) ?? []) seen.add(next);
  return new Set([...seen].filter(locator => nameOf(locator) !== name).flatMap(registryPackage));
}

/** Of the packages `brought`, the @backstage ones at a version other than the app's (`app`: its @backstage packages). */
export function secondCopies(brought: Iterable<string>, app: Set<string>): string[] {
  const appNames = new Set([...app].map(nameOf));
  return [...brought].filter(pkg => pkg.startsWith('@backstage/') && appNames.has(nameOf(pkg)) && !app.has(pkg)).sort();
}
