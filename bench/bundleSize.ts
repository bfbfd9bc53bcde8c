// What the module adds to an app bundle that already has the Kubernetes
// plugin: the same small app is bundled with and without it, and the outputs
// compared.
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { build, type Plugin } from 'esbuild';

import { ownPackage, root } from './lib.ts';
import type { PackedModule } from './packedModule.ts';

export interface Bytes {
  raw: number;
  gzip: number;
}

// The app every new-frontend-system app starts from: createApp from
// @backstage/frontend-defaults with its default app plugin, plus the
// Kubernetes plugin. The variant adds the module, imported by its package name.
const app = (withModule: boolean) => `
  import { createApp } from '@backstage/frontend-defaults';
  import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
  ${withModule ? `import spectroCloudModule from ${JSON.stringify(ownPackage.name)};` : ''}
  export default createApp({ features: [kubernetesPlugin${withModule ? ', spectroCloudModule' : ''}] }).createRoot();
`;

// Replaces the file of the package's OAuth2 client (of @backstage/core-app-api:
// the opt-in auth API, which an app that gets auth.spectrocloud elsewhere never
// turns on, and the client of each environment, which only apps with
// environments make) with empty exports, so the module is measured without it.
const withoutOptInAuthApi: Plugin = {
  name: 'without-opt-in-auth-api',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /\/SpectroCloudAuth\.esm\.js$/ }, () => ({ path: 'opt-in', namespace: 'stub' }));
    pluginBuild.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'export const spectroCloudAuthApi = undefined; export const createSpectroCloudAuth = undefined;',
      loader: 'js',
    }));
  },
};

async function bundle(source: string, { resolveDir, nodePaths }: PackedModule, plugins: Plugin[] = []): Promise<Bytes> {
  const result = await build({
    stdin: { contents: source, resolveDir, loader: 'js' },
    bundle: true,
    // As an app build does: minified, lazy-loaded parts in their own chunks,
    // all of which are counted.
    minify: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: path.join(root, 'bench-out'),
    write: false,
    // The unpacked package first; its dependencies come from the repository's.
    nodePaths,
    define: { 'process.env.NODE_ENV': '"production"' },
    loader: { '.svg': 'file', '.png': 'file', '.woff': 'file', '.woff2': 'file' },
    logLevel: 'error',
    plugins,
  });
  let raw = 0;
  let gzip = 0;
  for (const file of result.outputFiles) {
    raw += file.contents.byteLength;
    gzip += gzipSync(file.contents, { level: 9 }).byteLength;
  }
  return { raw, gzip };
}

/** The app's bundle without the module, and what the module adds: without and with its opt-in auth API. */
export async function measureBundleSize(packed: PackedModule) {
  const baseline = await bundle(app(false), packed);
  const moduleOnly = await bundle(app(true), packed, [withoutOptInAuthApi]);
  const withOptIn = await bundle(app(true), packed);
  const diff = (a: Bytes, b: Bytes): Bytes => ({ raw: a.raw - b.raw, gzip: a.gzip - b.gzip });
  return { baselineApp: baseline, module: diff(moduleOnly, baseline), optInAuthApi: diff(withOptIn, moduleOnly) };
}
