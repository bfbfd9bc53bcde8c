/**
 * @jest-environment node
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ConfigReader } from '@backstage/config';

// The CLI's own detection of `app.packages: all`; it has no public entry point.
const {
  createDetectedModulesEntryPoint,
} = require('@backstage/cli-module-build/dist/lib/bundler/packageDetection.cjs.js');

const root = path.resolve(__dirname, '..');
const ownPackage = require('../package.json');

describe('the published package', () => {
  let scratch: string;
  let files: string[];
  let packed: any;

  beforeAll(() => {
    if (!fs.existsSync(path.join(root, 'dist/index.esm.js'))) {
      throw new Error('dist/ is missing: run `npm run build` before this test (`npm test` does).');
    }
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'spectrocloud-pack-'));
    const [result] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    files = result.files.map((f: { path: string }) => f.path).sort();

    // Install the tarball the way an app would see it: unpacked into node_modules.
    const installed = path.join(scratch, 'app/node_modules', ownPackage.name);
    fs.mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', path.join(scratch, result.filename), '-C', installed, '--strip-components=1']);
    packed = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    fs.writeFileSync(
      path.join(scratch, 'app/package.json'),
      JSON.stringify({ name: 'app', dependencies: { [ownPackage.name]: '*', react: '*' } }),
    );
  }, 120_000);

  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('holds the built module, its types, the config schema, docs and license, and nothing else', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'CHANGELOG.md',
        'LICENSE',
        'README.md',
        'config.schema.json',
        'dist/index.d.ts',
        'dist/index.esm.js',
        'package.json',
      ]),
    );
    const unexpected = files.filter(
      f => !/^(dist\/[\w.]+\.(esm\.js|esm\.js\.map|d\.ts)|CHANGELOG\.md|LICENSE|README\.md|config\.d\.ts|config\.schema\.json|package\.json)$/.test(f),
    );
    expect(unexpected).toEqual([]);
    expect(files.filter(f => /test|__testUtils__|^src\/|^dev\//.test(f))).toEqual([]);
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

  it('declares the token-provider name for the frontend, with its rule', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(scratch, 'app/node_modules', ownPackage.name, 'config.schema.json'), 'utf8'));
    const setting = schema.schemas?.[0]?.value ?? schema;
    const name = setting.properties.kubernetes.properties.spectroCloudAuth.properties.tokenProviderName;
    expect(name.visibility).toBe('frontend');
    const rule = new RegExp(name.pattern);
    expect(['spectrocloud', 'palette-prod'].filter(v => rule.test(v))).toHaveLength(2);
    expect(['', 'okta', 'a b', 'a:b'].filter(v => rule.test(v))).toEqual([]);
  });

  it('is discovered by `app.packages: all`', async () => {
    const app = path.join(scratch, 'app');
    await createDetectedModulesEntryPoint({
      config: new ConfigReader({ app: { packages: 'all' } }),
      targetPath: app,
    });
    const detected = fs.readFileSync(path.join(app, 'node_modules/__backstage-autodetected-plugins__.js'), 'utf8');
    expect(detected).toContain(`{ name: "${ownPackage.name}", export: undefined, default: require('${ownPackage.name}').default }`);
  });
});
