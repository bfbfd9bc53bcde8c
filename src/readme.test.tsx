import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import spectroCloudModule from './index';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';
import {
  baseConfig,
  loadKubernetesObjects,
  SPECTROCLOUD_TOKEN,
  startTestApp,
  type Cluster,
} from './__testUtils__/testApp';
import { validateAppConfig } from './__testUtils__/appConfigSchema';
import { checkNpmCommandLine } from './__testUtils__/npmCommands';
import { projectRoot, readmeSnippet as snippet, readmeSnippets } from './__testUtils__/readmeSnippets';

// Every fenced block in the README carries a `<!-- snippet: name -->` marker
// and is checked against the real thing: app-config against the schema the
// Backstage CLI builds from the installed packages, and then in a test app;
// commands against the project's package.json files, lockfiles and scripts;
// Kubernetes objects against the Kubernetes API schema.
const CHECKED_SNIPPETS = [
  'app-config',
  'cluster-provider',
  'config-locator',
  'develop',
  'disable-stock',
  'e2e',
  // Run for real, in an npm app, by package.test.ts.
  'install',
  'rbac',
  'real-mode',
  'test',
  'test-stack',
  'token-provider-name',
  // Run as written in an app made by @backstage/create-app by
  // `npm run test:adopt` (dev/adopt), which CI runs.
  'backend-config',
  'backend-index',
  // Run by the development stack, and checked below.
  'backend-oidc-config',
  'backend-oidc-module',
  'backend-install',
  'install-yarn',
  'sign-in-page',
  'sign-in-page-app',
].sort();

describe('README snippet', () => {
  it.each(['app-config', 'disable-stock', 'token-provider-name', 'config-locator', 'real-mode', 'backend-config'])(
    '%s is valid app-config for an app with this module and the Kubernetes plugin',
    async name => {
      await expect(validateAppConfig(parse(snippet(name)))).resolves.toBeUndefined();
    },
  );

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
    // The SpectroCloud cluster provider is not on the npm registry, so its
    // config schema cannot be read; its two settings are checked by effect.
    const { clusterProvider } = parse(snippet('cluster-provider')).spectrocloud.environments[0];
    const { result, backend } = await loadKubernetesObjects({
      clusters: [{ name: 'palette', authProvider: clusterProvider.authType, oidcTokenProvider: clusterProvider.oidcAuthProviderName }],
    });
    expect(result.error).toBeUndefined();
    expect(backend.requests.find(r => r.method === 'POST')?.body.auth.oidc[clusterProvider.oidcAuthProviderName]).toBe(SPECTROCLOUD_TOKEN);
  });

  it('rbac is a valid ClusterRoleBinding that grants view to a SpectroCloud group and user', () => {
    const binding = new ClusterRoleBinding(parse(snippet('rbac')));
    expect(() => binding.validate()).not.toThrow();
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    // Users are matched by the email claim, which the README tells the API server to use.
    expect(binding.subjects?.map(s => [s.kind, s.apiGroup]).sort()).toEqual([
      ['Group', 'rbac.authorization.k8s.io'],
      ['User', 'rbac.authorization.k8s.io'],
    ]);
    expect(binding.subjects?.find(s => s.kind === 'User')?.name).toMatch(/@/);
  });

  it('real-mode works as written', async () => {
    const config = parse(snippet('real-mode'));
    const provider = config.auth.providers.spectrocloud.development;
    // The backend auth module derives the token endpoint from this URL.
    expect(provider.authorizationUrl).toMatch(/\/v1\/oidc\/tenant\/[^/]+\/auth$/);
    const clusters: Cluster[] = config.kubernetes.clusterLocatorMethods[0].clusters;
    const { result, backend } = await loadKubernetesObjects({ clusters });
    expect(result.error).toBeUndefined();
    expect(backend.requests.find(r => r.method === 'POST')?.body.auth).toEqual({
      oidc: { spectrocloud: SPECTROCLOUD_TOKEN },
    });
  });

  it('backend-oidc-config is valid app-config for the OIDC authenticator', async () => {
    // The authenticator reads the same keys under `spectrocloud` as its own
    // module declares under `oidc`, so they are checked against that schema.
    const { session, providers } = parse(snippet('backend-oidc-config')).auth;
    expect(Object.keys(providers)).toEqual(['spectrocloud']);
    await expect(
      validateAppConfig({ auth: { session, providers: { oidc: providers.spectrocloud } } }, 'oidc'),
    ).resolves.toBeUndefined();
  });

  it('backend-oidc-module is the backend module the development stack runs', () => {
    const running = fs.readFileSync(path.join(projectRoot, 'dev/stack/spectroCloudOidcAuthModule.ts'), 'utf8');
    expect(`${snippet('backend-oidc-module')}\n`).toBe(running);
  });

  it.each(['develop', 'test', 'test-stack', 'e2e'])('%s runs what exists', name => {
    expect(checkNpmCommandLine(snippet(name))).toEqual([]);
  }, 120_000);
});

describe('README', () => {
  it('has a check above for every snippet', () => {
    expect([...readmeSnippets().keys()].sort()).toEqual(CHECKED_SNIPPETS);
  });
});
