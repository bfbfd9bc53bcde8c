import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import spectroCloudModule from './index';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';
import {
  baseConfig,
  loadKubernetesObjects,
  SPECTROCLOUD_TOKEN,
  type Cluster,
  startTestApp,
} from './__testUtils__/testApp';

const readme = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
const ownPackage = require('../package.json');

// Every fenced block in the README must carry a `<!-- snippet: name -->` marker
// and have a check below.
const snippets = new Map<string, string>();
const blocks = readme.matchAll(/(<!-- snippet: ([\w-]+) -->\s*\n)?([ \t]*)```\w*\n([\s\S]*?)\n[ \t]*```/g);
for (const [, , name, indent, body] of blocks) {
  const unindented = body.split('\n').map(line => line.slice(indent.length)).join('\n');
  snippets.set(name ?? `unnamed block ${snippets.size}`, unindented);
}
const snippet = (name: string) => {
  const body = snippets.get(name);
  if (body === undefined) throw new Error(`README has no snippet '${name}'`);
  return body;
};

const CHECKED_SNIPPETS = [
  'app-config',
  'cluster-provider',
  'config-locator',
  'develop',
  'disable-stock',
  'e2e',
  'install',
  'rbac',
  'real-mode',
  'test',
  'test-stack',
  'token-provider-name',
];

describe('README snippet', () => {
  it('install works as written', () => {
    expect(snippet('install')).toBe(`npm install ${ownPackage.name}`);
  });

  it('app-config works as written', async () => {
    const { apis } = await startTestApp({
      features: [kubernetesPlugin, spectroCloudModule],
      config: { ...baseConfig, ...parse(snippet('app-config')) },
    });
    expect(apis.get(spectroCloudAuthApiRef)).toBeDefined();
  });

  it('disable-stock works as written', async () => {
    const { result, backend } = await loadKubernetesObjects({ config: parse(snippet('disable-stock')) });
    expect(result.error).toBeUndefined();
    expect(backend.requests.find(r => r.method === 'POST')?.body.auth.oidc.spectrocloud).toBe(SPECTROCLOUD_TOKEN);
  });

  it('token-provider-name works as written', async () => {
    const config = parse(snippet('token-provider-name'));
    const name = config.kubernetes.spectroCloudAuth.tokenProviderName;
    const { result, backend } = await loadKubernetesObjects({
      config,
      clusters: [{ name: 'palette', authProvider: 'oidc', oidcTokenProvider: name }],
    });
    expect(result.error).toBeUndefined();
    expect(backend.requests.find(r => r.method === 'POST')?.body.auth).toEqual({ oidc: { [name]: SPECTROCLOUD_TOKEN } });
  });

  it('config-locator works as written', async () => {
    const clusters: Cluster[] = parse(snippet('config-locator')).kubernetes.clusterLocatorMethods[0].clusters.map(
      ({ name, authProvider, oidcTokenProvider }: Cluster) => ({ name, authProvider, oidcTokenProvider }),
    );
    const { result, backend } = await loadKubernetesObjects({ clusters });
    expect(result.error).toBeUndefined();
    expect(backend.requests.find(r => r.method === 'POST')?.body.auth).toEqual({
      oidc: { spectrocloud: SPECTROCLOUD_TOKEN },
    });
  });

  it('cluster-provider works as written', async () => {
    const { clusterProvider } = parse(snippet('cluster-provider')).spectrocloud.environments[0];
    expect(clusterProvider.authType).toBe('oidc');
    // The cluster provider reports its clusters with these two settings.
    const { result, backend } = await loadKubernetesObjects({
      clusters: [{ name: 'palette', authProvider: clusterProvider.authType, oidcTokenProvider: clusterProvider.oidcAuthProviderName }],
    });
    expect(result.error).toBeUndefined();
    expect(backend.requests.find(r => r.method === 'POST')?.body.auth.oidc[clusterProvider.oidcAuthProviderName]).toBe(SPECTROCLOUD_TOKEN);
  });

  it('rbac works as written', () => {
    const binding = parse(snippet('rbac'));
    expect(binding).toMatchObject({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' });
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    for (const subject of binding.subjects) {
      expect(['User', 'Group']).toContain(subject.kind);
      expect(subject.apiGroup).toBe('rbac.authorization.k8s.io');
    }
    // Users are matched by the email claim, which the README tells the API server to use.
    expect(binding.subjects.find((s: any) => s.kind === 'User').name).toMatch(/@/);
  });

  it('develop works as written', () => {
    expect(snippet('develop')).toBe('npm ci && npm ci --prefix dev/stack && npm start');
    expect(ownPackage.scripts.start).toBe('node dev/stack/start.mjs');
  });

  it('real-mode works as written', async () => {
    const config = parse(snippet('real-mode'));
    const provider = config.auth.providers.spectrocloud.development;
    // The backend auth module derives the token endpoint from this URL.
    expect(provider.authorizationUrl).toMatch(/\/v1\/oidc\/tenant\/[^/]+\/auth$/);
    expect(Object.keys(provider).sort()).toEqual(['authorizationUrl', 'clientId', 'clientSecret', 'signIn']);
    const clusters: Cluster[] = config.kubernetes.clusterLocatorMethods[0].clusters;
    const { result, backend } = await loadKubernetesObjects({ clusters });
    expect(result.error).toBeUndefined();
    expect(backend.requests.find(r => r.method === 'POST')?.body.auth).toEqual({
      oidc: { spectrocloud: SPECTROCLOUD_TOKEN },
    });
  });

  it('test-stack works as written', () => {
    expect(snippet('test-stack')).toBe('npm run test:stack');
    expect(ownPackage.scripts['test:stack']).toMatch(/smoke\.test\.mjs/);
  });

  it('e2e works as written', () => {
    expect(snippet('e2e')).toBe('npm run e2e');
    expect(ownPackage.scripts.e2e).toMatch(/e2e\.test\.mjs/);
  });

  it('test works as written', () => {
    expect(snippet('test')).toBe('npm test');
    expect(ownPackage.scripts.test).toBeDefined();
  });
});

describe('README', () => {
  it('has a check above for every snippet', () => {
    expect([...snippets.keys()].sort()).toEqual(CHECKED_SNIPPETS);
  });
});
