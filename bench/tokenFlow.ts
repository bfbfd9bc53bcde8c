// The Kubernetes tab's token flow in Node, against a loopback server: the real
// OAuth2 client the module ships (api:kubernetes/spectrocloud-auth), the
// module's auth providers, and the Kubernetes plugin's own client code.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import type { ConfigReader } from '@backstage/config';
import type { AnyApiFactory, ApiBlueprint, ExtensionDefinition, FrontendModule } from '@backstage/frontend-plugin-api';
import type { createExtensionTester } from '@backstage/frontend-test-utils';
import type { KubernetesAuthProvidersApi, KubernetesBackendClient } from '@backstage/plugin-kubernetes-react';
import { build } from 'esbuild';

import { expiresAtMs, idTokenIssuedAgo as idToken } from '../dev/lib/jwt.ts';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../dev/lib/temporaryDirectory.ts';
import { ownPackage, root } from './lib.ts';
import type { PackedModule } from './packedModule.ts';

// The packages ship ESM without "type": "module", which Node cannot load, so
// the pieces are bundled first. generateAuth is the function the Kubernetes
// tab (useKubernetesObjects) runs; it is not exported, hence the file path.
// The module comes in by its package name, as an app imports it.
const entry = `
  export { createExtensionTester } from '@backstage/frontend-test-utils';
  export { ApiBlueprint } from '@backstage/frontend-plugin-api';
  export { ConfigReader } from '@backstage/config';
  export { KubernetesBackendClient } from '@backstage/plugin-kubernetes-react';
  export { generateAuth } from '@backstage/plugin-kubernetes-react/dist/hooks/auth.esm.js';
  export { default as spectroCloudModule } from ${JSON.stringify(ownPackage.name)};
`;

/** The ids the module's API extensions are configured by in app-config. */
const SPECTROCLOUD_AUTH_API_ID = 'api:kubernetes/spectrocloud-auth';
const AUTH_PROVIDERS_API_ID = 'api:kubernetes/auth-providers';

interface Pieces {
  createExtensionTester: typeof createExtensionTester;
  ApiBlueprint: typeof ApiBlueprint;
  ConfigReader: typeof ConfigReader;
  KubernetesBackendClient: typeof KubernetesBackendClient;
  generateAuth: (entity: object, kubernetesApi: KubernetesBackendClient, authProviders: KubernetesAuthProvidersApi) => Promise<{ oidc?: Record<string, string> }>;
  spectroCloudModule: FrontendModule;
}

// What a browser gives the module and Node lacks: window.navigator, where
// DefaultAuthConnector looks for Web Locks (which only serialise refreshes
// across tabs), and localStorage, where the module notes whose session it is.
function installBrowserGlobals() {
  (globalThis as { window?: object }).window ??= { navigator: {} };
  const stored = new Map<string, string>();
  (globalThis as { localStorage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> }).localStorage ??= {
    getItem: key => stored.get(key) ?? null,
    setItem: (key, value) => void stored.set(key, value),
    removeItem: key => void stored.delete(key),
  };
}

async function loadPieces({ resolveDir, nodePaths }: PackedModule): Promise<Pieces> {
  const dir = createTemporaryDirectory('tokenflow');
  try {
    const outfile = path.join(dir, 'pieces.mjs');
    await build({
      stdin: { contents: entry, resolveDir, loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'error',
      define: { 'process.env.NODE_ENV': '"production"' },
      // The unpacked package first; its dependencies come from the repository's.
      nodePaths,
      loader: { '.svg': 'empty', '.png': 'empty', '.css': 'empty' },
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      // Reaching into dist/ of a package with an exports map.
      plugins: [
        {
          name: 'package-internals',
          setup(pluginBuild) {
            pluginBuild.onResolve({ filter: /^@backstage\/plugin-kubernetes-react\/dist\// }, args => ({
              path: path.join(root, 'node_modules', args.path),
            }));
          },
        },
      ],
    });
    return await import(outfile);
  } finally {
    removeTemporaryDirectory(dir);
  }
}


/**
 * Makes `Date` (Date.now() and `new Date()`) read a clock that the bench
 * advances, so hours of polling take a moment. Everything in this process,
 * the loopback backend included, reads it.
 */
function installSimulatedClock() {
  const RealDate = Date;
  let offsetMs = 0;
  globalThis.Date = new Proxy(RealDate, {
    construct: (Target, args) => (args.length === 0 ? new Target(Target.now() + offsetMs) : Reflect.construct(Target, args)),
    get: (target, property, receiver) => (property === 'now' ? () => target.now() + offsetMs : Reflect.get(target, property, receiver)),
  });
  return {
    advance(seconds: number) {
      offsetMs += seconds * 1000;
    },
    restore() {
      globalThis.Date = RealDate;
    },
  };
}

/**
 * One loopback server for the backend: the auth refresh endpoint (counted)
 * and the Kubernetes backend's clusters, services and proxy routes.
 */
const ALICE_REF = 'user:default/alice';

async function startBackend() {
  const counts = { refresh: 0, proxy: 0, proxyWithToken: 0, services: 0 };
  // Refresh calls per backend auth provider, for several environments.
  let refreshesByProvider: Record<string, number> = {};
  let clusters: object[] = [];
  // What the refresh endpoint hands out, in turn; the last one from then on.
  let idTokens: string[] = [];
  let served = '';
  // When set, each refresh hands out a new ID token of this lifetime, as a
  // backend that renews with refresh tokens does.
  let freshLifetimeSeconds: number | undefined;
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    req.resume();
    let body: unknown;
    const refreshOf = /^\/api\/auth\/([^/]+)\/refresh$/.exec(pathname)?.[1];
    if (req.method === 'GET' && refreshOf) {
      refreshesByProvider[refreshOf] = (refreshesByProvider[refreshOf] ?? 0) + 1;
      if (refreshOf === 'spectrocloud') counts.refresh += 1;
      if (freshLifetimeSeconds) served = idToken(0, freshLifetimeSeconds);
      else served = idTokens.length > 1 ? idTokens.shift()! : idTokens[0];
      body = {
        providerInfo: { idToken: served, accessToken: 'access', scope: 'openid profile email', expiresInSeconds: freshLifetimeSeconds ?? 3600 },
        profile: { email: 'alice@example.com' },
        backstageIdentity: {
          token: 'backstage',
          identity: { type: 'user', userEntityRef: ALICE_REF, ownershipEntityRefs: [] },
        },
      };
    } else if (pathname === '/api/kubernetes/clusters') {
      body = { items: clusters };
    } else if (pathname.startsWith('/api/kubernetes/services/')) {
      counts.services += 1;
      body = { items: [] };
    } else if (pathname.startsWith('/api/kubernetes/proxy/')) {
      counts.proxy += 1;
      if (req.headers['backstage-kubernetes-authorization-oidc-spectrocloud'] === served) counts.proxyWithToken += 1;
      body = { items: [] };
    }
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    refreshesByProvider: () => refreshesByProvider,
    /** `n` clusters, taking the token providers in turn. */
    setClusters(n: number, tokenProviders = ['spectrocloud']) {
      clusters = Array.from({ length: n }, (_, i) => ({ name: `palette-${i}`, authProvider: 'oidc', oidcTokenProvider: tokenProviders[i % tokenProviders.length] }));
    },
    reset(tokens: string[]) {
      for (const key of Object.keys(counts) as (keyof typeof counts)[]) counts[key] = 0;
      refreshesByProvider = {};
      idTokens = [...tokens];
      freshLifetimeSeconds = undefined;
    },
    /** From now on each refresh hands out a new ID token of `lifetimeSeconds`. */
    renewWith(lifetimeSeconds: number) {
      this.reset([]);
      freshLifetimeSeconds = lifetimeSeconds;
    },
    close: () => new Promise(resolve => server.close(resolve)),
  };
}

type Backend = Awaited<ReturnType<typeof startBackend>>;

/**
 * What the module's API extension `id` makes of the dependencies it is
 * given. The default export holds its extensions as an app installs them
 * (resolved, with their ids); the extension tester takes them as they are
 * declared, so the extension's id is split back into kind, namespace and name.
 */
function factoryOf(pieces: Pieces, id: string): (deps: Record<string, unknown>) => any {
  const { extensions } = pieces.spectroCloudModule as unknown as { extensions: { id: string }[] };
  const extension = extensions.find(candidate => candidate.id === id);
  const [, kind, namespace, name] = /^([^:]+):([^/]+)\/(.+)$/.exec(id) ?? [];
  if (!extension || !kind) throw new Error(`the module's default export has no extension ${id}`);
  const definition = { ...extension, $$type: '@backstage/ExtensionDefinition', kind, namespace, name } as unknown as ExtensionDefinition<any>;
  const { factory } = pieces.createExtensionTester(definition).get(pieces.ApiBlueprint.dataRefs.factory) as AnyApiFactory;
  return factory as (deps: Record<string, unknown>) => any;
}

/**
 * A fresh app's worth of APIs: the module's OAuth2 client and providers, and
 * the plugin's backend client; with `environments`, that app-config.
 */
function createApis(pieces: Pieces, baseUrl: string, environments: object[] = []) {
  const configApi = new pieces.ConfigReader({ app: { baseUrl }, backend: { baseUrl }, kubernetes: { spectroCloudAuth: { environments } } });
  const discoveryApi = { getBaseUrl: async (pluginId: string) => `${baseUrl}/api/${pluginId}` };
  const oauthRequestApi = {
    createAuthRequester: () => async () => {
      throw new Error('a sign-in popup was requested; the refresh endpoint should have answered');
    },
  };
  const spectroCloudAuthApi = factoryOf(pieces, SPECTROCLOUD_AUTH_API_ID)({ configApi, discoveryApi, oauthRequestApi });
  const unused = {
    getIdToken: async () => {
      throw new Error('not used by these clusters');
    },
    getAccessToken: async () => '',
  };
  const fetchApi = { fetch: (...args: Parameters<typeof fetch>) => fetch(...args) };
  // Alice, whom the backend's sessions name.
  const identityApi = { getBackstageIdentity: async () => ({ type: 'user', userEntityRef: ALICE_REF, ownershipEntityRefs: [ALICE_REF] }) };
  const authProviders: KubernetesAuthProvidersApi = factoryOf(pieces, AUTH_PROVIDERS_API_ID)({
    configApi,
    discoveryApi,
    fetchApi,
    identityApi,
    oauthRequestApi,
    gitlabAuthApi: unused,
    googleAuthApi: unused,
    microsoftAuthApi: unused,
    oktaAuthApi: unused,
    oneloginAuthApi: unused,
    spectroCloudAuthApi,
  });
  const kubernetesApi = new pieces.KubernetesBackendClient({ discoveryApi, fetchApi, kubernetesAuthProvidersApi: authProviders });
  return { authProviders, kubernetesApi };
}

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'demo-service', namespace: 'default' },
  spec: {},
};

/** One load of the Kubernetes tab with `clusters` SpectroCloud clusters, the backend handing out `idTokens` in turn. */
async function tabLoad(pieces: Pieces, backend: Backend, clusters: number, idTokens: string[]) {
  backend.setClusters(clusters);
  backend.reset(idTokens);
  // A fresh client per load: the first token fetch must reach the network.
  const { authProviders, kubernetesApi } = createApis(pieces, backend.baseUrl);
  const auth = await pieces.generateAuth(entity, kubernetesApi, authProviders);
  if (typeof auth.oidc?.spectrocloud !== 'string') throw new Error('the tab load sent no SpectroCloud token');
  await kubernetesApi.getObjectsByEntity({ auth, entity: entity as any });
  const onTabLoad = backend.counts.refresh;
  // Pod logs of every cluster, opened at once.
  await Promise.all(
    Array.from({ length: clusters }, (_, i) =>
      kubernetesApi.proxy({ clusterName: `palette-${i}`, path: '/api/v1/namespaces/default/pods/demo/log' }),
    ),
  );
  if (backend.counts.proxyWithToken !== clusters) throw new Error('a proxy call went out without the current SpectroCloud token');
  return {
    clusters,
    refreshOnTabLoad: onTabLoad,
    refreshOnProxyCalls: backend.counts.refresh - onTabLoad,
    proxyCalls: backend.counts.proxy,
    tokenFetches: backend.counts.refresh,
  };
}

/** Three Palettes: the default one and two environments, each with a backend auth provider of its own. */
const ENVIRONMENTS = ['eu', 'us'].map(region => ({ tokenProviderName: `palette-${region}`, authProvider: `spectrocloud-${region}` }));

/**
 * One load of the Kubernetes tab with `clusters` clusters taking the three
 * Palettes in turn: the refresh calls each Palette's auth provider got.
 */
async function environmentsTabLoad(pieces: Pieces, backend: Backend, clusters: number) {
  backend.setClusters(clusters, ['spectrocloud', ...ENVIRONMENTS.map(e => e.tokenProviderName)]);
  backend.reset([idToken(0)]);
  const { authProviders, kubernetesApi } = createApis(pieces, backend.baseUrl, ENVIRONMENTS);
  const auth = await pieces.generateAuth(entity, kubernetesApi, authProviders);
  await kubernetesApi.getObjectsByEntity({ auth, entity: entity as any });
  const providers = ['spectrocloud', ...ENVIRONMENTS.map(e => e.authProvider)].slice(0, Math.min(clusters, 1 + ENVIRONMENTS.length));
  return { clusters, fetchesPerEnvironment: providers.map(provider => backend.refreshesByProvider()[provider] ?? 0) };
}

/**
 * Tab loads with 1, 10, 100... clusters: `loads` with a fresh ID token, and
 * `expiringLoads` with one half a minute from expiry at first, which the module
 * renews before sending (a fresh one comes back).
 */
export async function measureTokenFlow(packed: PackedModule, clusterCounts: number[]) {
  installBrowserGlobals();
  const pieces = await loadPieces(packed);
  const backend = await startBackend();
  try {
    const loads = [];
    const expiringLoads = [];
    const environmentLoads = [];
    for (const clusters of clusterCounts) {
      loads.push(await tabLoad(pieces, backend, clusters, [idToken(0)]));
      expiringLoads.push(await tabLoad(pieces, backend, clusters, [idToken(3600 - 30), idToken(0)]));
      environmentLoads.push(await environmentsTabLoad(pieces, backend, clusters));
    }
    return { loads, expiringLoads, environmentLoads };
  } finally {
    await backend.close();
  }
}

/**
 * The Kubernetes tab left open while it polls, for `lifetimes` ID-token
 * lifetimes of each of `lifetimesSeconds`, against a backend that renews (each
 * refresh hands out a new ID token): how many refresh calls the tab makes per
 * lifetime, and whether any poll sent an expired token. The clock is
 * simulated, so an hour of polling takes a moment.
 */
export async function measureRenewalsPerLifetime(
  packed: PackedModule,
  clusterCounts: number[],
  { lifetimesSeconds, lifetimes = 3, pollSeconds = 10 }: { lifetimesSeconds: number[]; lifetimes?: number; pollSeconds?: number },
) {
  installBrowserGlobals();
  const pieces = await loadPieces(packed);
  const backend = await startBackend();
  const clock = installSimulatedClock();
  try {
    const results = [];
    for (const lifetimeSeconds of lifetimesSeconds) {
      for (const clusters of clusterCounts) {
        backend.setClusters(clusters);
        backend.renewWith(lifetimeSeconds);
        const { authProviders, kubernetesApi } = createApis(pieces, backend.baseUrl);
        let expiredSent = 0;
        const poll = async () => {
          const auth = await pieces.generateAuth(entity, kubernetesApi, authProviders);
          const token = auth.oidc?.spectrocloud;
          if (typeof token !== 'string') throw new Error('a poll sent no SpectroCloud token');
          if (expiresAtMs(token) <= Date.now()) expiredSent += 1;
          await kubernetesApi.getObjectsByEntity({ auth, entity: entity as any });
        };
        // Opening the tab fetches the first token; what follows is renewal.
        await poll();
        const atOpen = backend.counts.refresh;
        const polls = Math.round((lifetimes * lifetimeSeconds) / pollSeconds);
        for (let i = 0; i < polls; i++) {
          clock.advance(pollSeconds);
          await poll();
        }
        const renewals = backend.counts.refresh - atOpen;
        results.push({ lifetimeSeconds, clusters, polls, renewals, renewalsPerLifetime: renewals / lifetimes, expiredSent });
      }
    }
    return results;
  } finally {
    clock.restore();
    await backend.close();
  }
}
