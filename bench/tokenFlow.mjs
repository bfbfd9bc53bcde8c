// The Kubernetes tab's token flow in Node, against loopback servers: the real
// OAuth2 client the module ships (api:kubernetes/spectrocloud-auth), the
// module's auth providers, and the Kubernetes plugin's own client code.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { root } from './lib.mjs';

// The packages ship ESM without "type": "module", which Node cannot load, so
// the pieces are bundled first. generateAuth is the function the Kubernetes
// tab (useKubernetesObjects) runs; it is not exported, hence the file path.
const entry = `
  export { createExtensionTester } from '@backstage/frontend-test-utils';
  export { ApiBlueprint } from '@backstage/frontend-plugin-api';
  export { ConfigReader } from '@backstage/config';
  export { KubernetesAuthProviders, KubernetesBackendClient } from '@backstage/plugin-kubernetes-react';
  export { generateAuth } from '@backstage/plugin-kubernetes-react/dist/hooks/auth.esm.js';
  export { spectroCloudAuthApi, spectroCloudKubernetesAuthProvidersApi } from ${JSON.stringify(path.join(root, 'dist/index.esm.js'))};
`;

async function loadPieces() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spectrocloud-tokenflow-'));
  try {
    const outfile = path.join(dir, 'pieces.mjs');
    await build({
      stdin: { contents: entry, resolveDir: root, loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'error',
      define: { 'process.env.NODE_ENV': '"production"' },
      loader: { '.svg': 'empty', '.png': 'empty', '.css': 'empty' },
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      // Reaching into dist/ of a package with an exports map.
      plugins: [{
        name: 'package-internals',
        setup(b) {
          b.onResolve({ filter: /^@backstage\/plugin-kubernetes-react\/dist\// }, args => ({
            path: path.join(root, 'node_modules', args.path),
          }));
        },
      }],
    });
    return await import(outfile);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Shaped like a real ID token; never printed.
const ID_TOKEN = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from('{"sub":"alice"}').toString('base64url')}.c2lnbmF0dXJl`;

/**
 * One loopback server for the backend: the auth refresh endpoint (counted)
 * and the Kubernetes backend's clusters, services and proxy routes.
 */
async function startBackend() {
  const counts = { refresh: 0, proxy: 0, proxyWithToken: 0, services: 0 };
  let clusters = [];
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://127.0.0.1');
    req.resume();
    let body;
    if (req.method === 'GET' && pathname === '/api/auth/spectrocloud/refresh') {
      counts.refresh += 1;
      body = {
        providerInfo: { idToken: ID_TOKEN, accessToken: 'access', scope: 'openid profile email', expiresInSeconds: 3600 },
        profile: { email: 'alice@example.com' },
        backstageIdentity: {
          token: 'backstage',
          identity: { type: 'user', userEntityRef: 'user:default/alice', ownershipEntityRefs: [] },
        },
      };
    } else if (pathname === '/api/kubernetes/clusters') {
      body = { items: clusters };
    } else if (pathname.startsWith('/api/kubernetes/services/')) {
      counts.services += 1;
      body = { items: [] };
    } else if (pathname.startsWith('/api/kubernetes/proxy/')) {
      counts.proxy += 1;
      if (req.headers['backstage-kubernetes-authorization-oidc-spectrocloud'] === ID_TOKEN) counts.proxyWithToken += 1;
      body = { items: [] };
    }
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? {}));
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    counts,
    setClusters(n) {
      clusters = Array.from({ length: n }, (_, i) => ({ name: `palette-${i}`, authProvider: 'oidc', oidcTokenProvider: 'spectrocloud' }));
    },
    reset() {
      for (const k of Object.keys(counts)) counts[k] = 0;
    },
    close: () => new Promise(resolve => server.close(resolve)),
  };
}

function factoryOf(pieces, extension) {
  return pieces.createExtensionTester(extension).get(pieces.ApiBlueprint.dataRefs.factory).factory;
}

function createApis(pieces, baseUrl) {
  const configApi = new pieces.ConfigReader({ app: { baseUrl }, backend: { baseUrl } });
  const discoveryApi = { getBaseUrl: async pluginId => `${baseUrl}/api/${pluginId}` };
  const oauthRequestApi = {
    createAuthRequester: () => async () => {
      throw new Error('a sign-in popup was requested; the refresh endpoint should have answered');
    },
  };
  const spectroCloudAuthApi = factoryOf(pieces, pieces.spectroCloudAuthApi)({ configApi, discoveryApi, oauthRequestApi });
  const unused = { getIdToken: async () => { throw new Error('not used by these clusters'); }, getAccessToken: async () => '' };
  const moduleProviders = factoryOf(pieces, pieces.spectroCloudKubernetesAuthProvidersApi)({
    configApi,
    gitlabAuthApi: unused,
    googleAuthApi: unused,
    microsoftAuthApi: unused,
    oktaAuthApi: unused,
    oneloginAuthApi: unused,
    spectroCloudAuthApi,
  });
  // What an app without the module would write to use the same client.
  const stockProviders = new pieces.KubernetesAuthProviders({
    googleAuthApi: unused,
    microsoftAuthApi: unused,
    oidcProviders: { spectrocloud: spectroCloudAuthApi },
  });
  const kubernetesApi = new pieces.KubernetesBackendClient({
    discoveryApi,
    fetchApi: { fetch: (...args) => fetch(...args) },
    kubernetesAuthProvidersApi: moduleProviders,
  });
  return { moduleProviders, stockProviders, kubernetesApi };
}

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'demo-service', namespace: 'default' },
  spec: {},
};

async function tabLoad(pieces, baseUrl, backend, clusters) {
  backend.setClusters(clusters);
  backend.reset();
  // A fresh client per load: the first token fetch must reach the network.
  const { moduleProviders, kubernetesApi } = createApis(pieces, baseUrl);
  const auth = await pieces.generateAuth(entity, kubernetesApi, moduleProviders);
  if (typeof auth.oidc?.spectrocloud !== 'string') throw new Error('the tab load sent no SpectroCloud token');
  await kubernetesApi.getObjectsByEntity({ auth, entity });
  const onTabLoad = backend.counts.refresh;
  // Pod logs of every cluster, opened at once.
  await Promise.all(
    Array.from({ length: clusters }, (_, i) =>
      kubernetesApi.proxy({ clusterName: `palette-${i}`, path: '/api/v1/namespaces/default/pods/demo/log' }),
    ),
  );
  if (backend.counts.proxyWithToken !== clusters) throw new Error('a proxy call went out without the SpectroCloud token');
  return {
    clusters,
    refreshOnTabLoad: onTabLoad,
    refreshOnProxyCalls: backend.counts.refresh - onTabLoad,
    proxyCalls: backend.counts.proxy,
    tokenFetches: backend.counts.refresh,
  };
}

const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * decorateRequestBodyForAuth with a cached session, the module's providers
 * against the stock KubernetesAuthProviders holding the same OAuth2 client.
 * Rounds alternate which side goes first; medians damp scheduler noise.
 */
async function overheadRatio(pieces, baseUrl, { rounds = 101, callsPerRound = 5000 } = {}) {
  const { moduleProviders, stockProviders } = createApis(pieces, baseUrl);
  const sides = { module: moduleProviders, stock: stockProviders };
  await moduleProviders.getCredentials('oidc.spectrocloud');
  const time = async providers => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < callsPerRound; i += 1) {
      await providers.decorateRequestBodyForAuth('oidc.spectrocloud', { entity });
    }
    return Number(process.hrtime.bigint() - start) / callsPerRound;
  };
  for (let i = 0; i < 5; i += 1) {
    await time(sides.module);
    await time(sides.stock);
  }
  const ns = { module: [], stock: [] };
  for (let r = 0; r < rounds; r += 1) {
    const order = r % 2 ? ['module', 'stock'] : ['stock', 'module'];
    for (const side of order) ns[side].push(await time(sides[side]));
  }
  const moduleNs = median(ns.module);
  const stockNs = median(ns.stock);
  return {
    moduleNsPerCall: Math.round(moduleNs),
    stockNsPerCall: Math.round(stockNs),
    ratio: Number((moduleNs / stockNs).toFixed(3)),
    rounds,
    callsPerRound,
  };
}

export async function measureTokenFlow(clusterCounts = [1, 10, 100]) {
  // DefaultAuthConnector looks for window.navigator.locks (Web Locks), which
  // only serialises refreshes across browser tabs; Node has no window.
  globalThis.window ??= { navigator: {} };
  const pieces = await loadPieces();
  const backend = await startBackend();
  try {
    const loads = [];
    for (const clusters of clusterCounts) loads.push(await tabLoad(pieces, backend.baseUrl, backend, clusters));
    backend.reset();
    const ratio = await overheadRatio(pieces, backend.baseUrl);
    return { loads, ratio: { ...ratio, tokenFetches: backend.counts.refresh } };
  } finally {
    await backend.close();
  }
}
