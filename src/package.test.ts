/**
 * @jest-environment node
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { readmeSnippet } from './__testUtils__/readmeSnippets';

const root = path.resolve(__dirname, '..');
const ownPackage = require('../package.json');

const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * A checkout as `git clone` gives it, with this working tree's versions of
 * the project's files and no build output, sharing the installed packages.
 */
function cleanCheckout(scratch: string): string {
  const checkout = path.join(scratch, 'checkout');
  run('git', ['clone', '--quiet', '--no-checkout', root, checkout], scratch);
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root)
    .split('\0')
    .filter(file => file && fs.existsSync(path.join(root, file)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(checkout, file));
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(checkout, 'node_modules'));
  fs.appendFileSync(path.join(checkout, '.git/info/exclude'), 'node_modules\n');
  return checkout;
}

/** `git status` of a checkout, with its tracked and untracked files. */
const status = (checkout: string) => run('git', ['status', '--porcelain', '--untracked-files=all'], checkout);

describe('the package packed from a clean checkout', () => {
  let scratch: string;
  let checkout: string;
  let statusBefore: string;
  let statusAfter: string;
  let files: string[];
  let installed: string;
  let packed: any;
  let tarball: string;

  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'spectrocloud-pack-'));
    checkout = cleanCheckout(scratch);
    // A stale build left from an earlier version must not be shipped.
    fs.mkdirSync(path.join(checkout, 'dist'));
    fs.writeFileSync(path.join(checkout, 'dist/index.esm.js'), 'export const stale = true;\n');
    fs.writeFileSync(path.join(checkout, 'dist/removedFile.esm.js'), 'export {};\n');
    statusBefore = status(checkout);

    const [result] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', scratch], checkout));
    statusAfter = status(checkout);
    files = result.files.map((f: { path: string }) => f.path).sort();
    tarball = path.join(scratch, result.filename);

    installed = path.join(scratch, 'apps/node_modules', ownPackage.name);
    fs.mkdirSync(installed, { recursive: true });
    run('tar', ['-xzf', path.join(scratch, result.filename), '-C', installed, '--strip-components=1'], scratch);
    packed = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  }, 300_000);

  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('is built by the pack itself, fresh, and leaves the checkout as it was', () => {
    expect(files).toEqual(expect.arrayContaining(['dist/index.d.ts', 'dist/index.esm.js', 'dist/module.esm.js']));
    expect(files).not.toContain('dist/removedFile.esm.js');
    expect(fs.readFileSync(path.join(installed, 'dist/index.esm.js'), 'utf8')).not.toContain('stale');
    expect(statusAfter).toBe(statusBefore);
  });

  it('holds the built module, its types, the config schema, docs and license, and nothing else', () => {
    expect(files).toEqual(
      expect.arrayContaining(['CHANGELOG.md', 'LICENSE', 'README.md', 'config.schema.json', 'package.json']),
    );
    const unexpected = files.filter(
      f => !/^(dist\/[\w.]+\.(esm\.js|esm\.js\.map|d\.ts)|CHANGELOG\.md|LICENSE|README\.md|config\.d\.ts|config\.schema\.json|package\.json)$/.test(f),
    );
    expect(unexpected).toEqual([]);
  });

  it('points its entry points at dist and declares what Backstage needs', () => {
    expect(packed).toMatchObject({
      license: 'Apache-2.0',
      main: 'dist/index.esm.js',
      types: 'dist/index.d.ts',
      // The CLI's prepack compiles config.d.ts into JSON schema for consumers.
      configSchema: 'config.schema.json',
      backstage: {
        role: 'frontend-plugin-module',
        pluginId: 'kubernetes',
        pluginPackage: '@backstage/plugin-kubernetes',
      },
    });
    expect(packed.exports['.']).toMatchObject({ import: './dist/index.esm.js', types: './dist/index.d.ts' });
  });

  it('depends on exactly the packages its code imports', () => {
    const imported = new Set<string>();
    for (const file of files.filter(f => f.endsWith('.esm.js'))) {
      const code = fs.readFileSync(path.join(installed, file), 'utf8');
      for (const [, specifier] of code.matchAll(/\bfrom\s+['"]([^'".][^'"]*)['"]/g)) {
        imported.add(specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
      }
    }
    expect(Object.keys(packed.dependencies).sort()).toEqual(
      [...imported].filter(name => !(name in packed.peerDependencies)).sort(),
    );
    // Peers are what the app must share with the module: only React.
    expect(Object.keys(packed.peerDependencies)).toEqual(['react']);
    expect(imported).toContain('react');
  });

  it('declares the token-provider name for the frontend, with its rule', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(installed, 'config.schema.json'), 'utf8'));
    const setting = schema.schemas?.[0]?.value ?? schema;
    const name = setting.properties.kubernetes.properties.spectroCloudAuth.properties.tokenProviderName;
    expect(name.visibility).toBe('frontend');
    const rule = new RegExp(name.pattern);
    expect(['spectrocloud', 'palette-prod'].filter(v => rule.test(v))).toHaveLength(2);
    expect(['', 'okta', 'a b', 'a:b'].filter(v => rule.test(v))).toEqual([]);
  });

  // The Backstage CLI's bundler finds the module through `app.packages: all`
  // in a tiny app that names no feature in code.
  it.each([
    ['all', true],
    ['unset', false],
  ])('is bundled into an app with app.packages %s: %s', (packages, expected) => {
    const app = path.join(scratch, 'apps', packages);
    if (!fs.existsSync(path.join(scratch, 'node_modules'))) {
      fs.symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');
    }
    fs.mkdirSync(path.join(app, 'src'), { recursive: true });
    fs.mkdirSync(path.join(app, 'public'), { recursive: true });
    const dependencies = [
      ownPackage.name,
      '@backstage/frontend-defaults',
      '@backstage/plugin-kubernetes',
      'react',
      'react-dom',
      'react-router-dom',
    ];
    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'app',
        private: true,
        backstage: { role: 'frontend' },
        dependencies: Object.fromEntries(dependencies.map(name => [name, '*'])),
      }),
    );
    fs.writeFileSync(
      path.join(app, 'src/index.tsx'),
      "import ReactDOM from 'react-dom/client';\nimport { createApp } from '@backstage/frontend-defaults';\n\n" +
        "ReactDOM.createRoot(document.getElementById('root')!).render(createApp().createRoot());\n",
    );
    fs.writeFileSync(path.join(app, 'public/index.html'), '<!DOCTYPE html><html><body><div id="root"></div></body></html>\n');
    fs.writeFileSync(
      path.join(app, 'app-config.yaml'),
      `app:\n  title: tiny\n  baseUrl: http://localhost:3000\n${packages === 'all' ? '  packages: all\n' : ''}` +
        'backend:\n  baseUrl: http://localhost:7007\n',
    );

    run(path.join(root, 'node_modules/.bin/backstage-cli'), ['package', 'build', '--config', 'app-config.yaml'], app);

    const bundle = fs
      .readdirSync(path.join(app, 'dist/static'))
      .filter(f => f.endsWith('.js'))
      .map(f => fs.readFileSync(path.join(app, 'dist/static', f), 'utf8'))
      .join('\n');
    expect(bundle.includes('spectrocloud-auth-providers')).toBe(expected);
  }, 300_000);

  it('installs into an npm app with the README\'s install command', () => {
    const [npm, command, ...args] = readmeSnippet('install').trim().split(/\s+/);
    expect([npm, command, ...args]).toEqual(['npm', 'install', ownPackage.name]);
    const app = path.join(scratch, 'npm-app');
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
    const output = run(
      'npm',
      [command, ...args.map(arg => (arg === ownPackage.name ? tarball : arg)), '--dry-run', '--no-audit', '--no-fund'],
      app,
    );
    expect(output).toMatch(/added \d+ packages/);
  }, 300_000);
});
