/**
 * @jest-environment node
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { packageTarball, type PackageDir } from '../dev/lib/pack';
import { readDocumentSnippets, snippet } from '../dev/lib/snippets';
import { projectRoot } from './projectRoot';

const ownPackage = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));

const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The packageTarball of `packageDir`, unpacked before the tests of the describe block that calls this. */
function unpacked<Manifest>(packageDir: PackageDir) {
  const pkg = {} as { scratch: string; tarball: string; files: string[]; installed: string; packed: Manifest };
  beforeAll(async () => {
    pkg.scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'spectrocloud-pack-'));
    ({ tarball: pkg.tarball, files: pkg.files } = await packageTarball({ repoDir: projectRoot, dir: pkg.scratch, packageDir }));
    pkg.installed = path.join(pkg.scratch, 'installed');
    fs.mkdirSync(pkg.installed);
    run('tar', ['-xzf', pkg.tarball, '-C', pkg.installed, '--strip-components=1'], pkg.scratch);
    pkg.packed = JSON.parse(fs.readFileSync(path.join(pkg.installed, 'package.json'), 'utf8'));
  }, 300_000);
  afterAll(() => fs.rmSync(pkg.scratch, { recursive: true, force: true }));
  return pkg;
}

/** The packages (not relative paths) that the unpacked files ending in `suffix` load, by the specifiers `pattern` captures. */
function loadedPackages({ files, installed }: { files: string[]; installed: string }, suffix: string, pattern: RegExp): string[] {
  const names = new Set<string>();
  for (const file of files.filter(f => f.endsWith(suffix))) {
    for (const [, specifier] of fs.readFileSync(path.join(installed, file), 'utf8').matchAll(pattern)) {
      names.add(specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
    }
  }
  return [...names];
}

describe('the packed package', () => {
  const pkg = unpacked<{
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    exports: Record<string, unknown>;
  }>('.');

  it('holds the built module, its types, the config schema, docs and license, and nothing else', () => {
    expect(pkg.files).toEqual(
      expect.arrayContaining(['CHANGELOG.md', 'LICENSE', 'README.md', 'config.schema.json', 'package.json', 'dist/index.esm.js', 'dist/index.d.ts']),
    );
    const unexpected = pkg.files.filter(
      f => !/^(dist\/[\w.]+\.(esm\.js|esm\.js\.map|d\.ts)|CHANGELOG\.md|LICENSE|README\.md|config\.d\.ts|config\.schema\.json|package\.json)$/.test(f),
    );
    expect(unexpected).toEqual([]);
  });

  it('points its entry points at dist and declares what Backstage needs to discover it', () => {
    expect(pkg.packed).toMatchObject({
      license: 'Apache-2.0',
      main: 'dist/index.esm.js',
      types: 'dist/index.d.ts',
      // The CLI's prepack compiles config.d.ts into JSON schema for consumers.
      configSchema: 'config.schema.json',
      backstage: { role: 'frontend-plugin-module', pluginId: 'kubernetes', pluginPackage: '@backstage/plugin-kubernetes' },
    });
    expect(pkg.packed.exports['.']).toMatchObject({ import: './dist/index.esm.js', types: './dist/index.d.ts' });
  });

  it('depends on exactly the packages its code imports', () => {
    const imported = loadedPackages(pkg, '.esm.js', /\bfrom\s+['"]([^'".][^'"]*)['"]/g);
    expect(Object.keys(pkg.packed.dependencies).sort()).toEqual(imported.filter(name => !(name in pkg.packed.peerDependencies)).sort());
    // Peers are what the app must share with the module: React, and the
    // frontend plugin API, whose range spans two release lines (^0.18.1 ||
    // ^1.0.0): as a dependency, yarn resolves such a range to the newest
    // line, beside an 0.18 app's own copy, and `yarn dedupe` cannot undo it.
    expect(Object.keys(pkg.packed.peerDependencies).sort()).toEqual(['@backstage/frontend-plugin-api', 'react']);
  });

  it('declares the token-provider name for the frontend, with its rule', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(pkg.installed, 'config.schema.json'), 'utf8'));
    const setting = schema.schemas?.[0]?.value ?? schema;
    const name = setting.properties.kubernetes.properties.spectroCloudAuth.properties.tokenProviderName;
    expect(name.visibility).toBe('frontend');
    const rule = new RegExp(name.pattern);
    expect(['spectrocloud', 'palette-prod', 'palette.eu'].filter(v => rule.test(v))).toHaveLength(3);
    expect(['', 'okta', 'a b', 'a:b', 'Palette'].filter(v => rule.test(v))).toEqual([]);
  });

  it("installs into an npm app with the README's install command", () => {
    const [npm, command, ...args] = snippet(readDocumentSnippets(projectRoot), 'install').trim().split(/\s+/);
    expect([npm, command, ...args]).toEqual(['npm', 'install', ownPackage.name]);
    const app = path.join(pkg.scratch, 'npm-app');
    fs.mkdirSync(app);
    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'npm-app',
        private: true,
        dependencies: {
          '@backstage/frontend-defaults': ownPackage.devDependencies['@backstage/frontend-defaults'],
          '@backstage/plugin-kubernetes': ownPackage.devDependencies['@backstage/plugin-kubernetes'],
          react: '^18.3.1',
          'react-dom': '^18.3.1',
          'react-router-dom': '^6.30.2',
        },
      }),
    );
    // The package is not published from here, so its tarball stands in for
    // its name; npm resolves everything else from the registry.
    const output = run('npm', [command, ...args.map(arg => (arg === ownPackage.name ? pkg.tarball : arg)), '--dry-run', '--no-audit', '--no-fund'], app);
    expect(output).toMatch(/added \d+ packages/);
  }, 300_000);
});

describe('the packed backend module', () => {
  const pkg = unpacked<{ main: string; types: string; backstage: object; dependencies: Record<string, string> }>('backend');

  it('holds the built CommonJS module and its types, for discovery as a Kubernetes backend module', () => {
    expect(pkg.files.filter(f => !/^(dist\/[\w.]+\.(cjs\.js|cjs\.js\.map|d\.ts)|README\.md|package\.json)$/.test(f))).toEqual([]);
    expect(pkg.packed).toMatchObject({
      main: 'dist/index.cjs.js',
      types: 'dist/index.d.ts',
      backstage: { role: 'backend-plugin-module', pluginId: 'kubernetes', pluginPackage: '@backstage/plugin-kubernetes-backend' },
    });
  });

  it('depends on exactly the packages its code requires', () => {
    expect(Object.keys(pkg.packed.dependencies).sort()).toEqual(loadedPackages(pkg, '.cjs.js', /\brequire\(['"]([^'".][^'"]*)['"]\)/g).sort());
  });
});
