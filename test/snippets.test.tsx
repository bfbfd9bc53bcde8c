import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigReader } from '@backstage/config';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import spectroCloudModule from '../src';
import { spectroCloudAuthApiRef } from '../src/spectroCloudAuthApiRef';
import {
  ALL_CREDENTIALS,
  baseConfig,
  loadKubernetesObjects,
  SPECTROCLOUD_TOKEN,
  startTestApp,
  type Cluster,
} from '../src/__testUtils__/testApp';
import { readAllowedCatalogClusterUrls } from '../backend/src/config';
import { SECOND_ENVIRONMENT } from '../dev/lib/demo';
import { readDocumentSnippets, snippet as snippetOf } from '../dev/lib/snippets';
import { validateAppConfig } from './appConfigSchema';
import { checkNpmCommandLine } from './npmCommands';
import { projectRoot } from './projectRoot';

// Every fenced block of the README, CONTRIBUTING.md, bench/README.md and
// docs/ carries a `<!-- snippet: name -->` marker and is checked against the
// real thing: app-config against the schema the Backstage CLI builds from the
// installed packages, and then in a test app; commands against the project's
// package.json files, lockfiles and scripts; Kubernetes objects against the
// Kubernetes API schema.
const CHECKED_SNIPPETS = [
  'app-config',
  'bench',
  'cluster-provider',
  'compat',
  'config-locator',
  'develop',
  'disable-stock',
  // Its schema is checked here; the development stack's second Palette runs
  // it as written (dev/stack/stack.ts), which the browser test uses.
  'environments-config',
  'e2e',
  // Run for real, in an npm app, by package.test.ts.
  'install',
  'rbac',
  'real-mode',
  'test',
  'test-stack',
  'token-provider-name',
  'backend-oidc-config',
  'catalog-cluster-urls',
  // Its schema is checked here; the development stack sets the same resolver.
  'sign-in-config',
  // Run as written in an app made by @backstage/create-app by
  // `npm run test:adopt` (dev/adopt), which CI runs.
  'backend-module-index',
  'backend-module-install',
  'backend-oidc-index',
  'backend-oidc-install',
  'backend-oidc-module',
  'install-yarn',
  // Type-checked in that app, and checked to apply to its App.tsx.
  'sign-in-page',
  'sign-in-page-app',
  // The published backend module's steps: its package and config are checked
  // here, and dev/stack/backendAuth.test.ts runs it as these lines add it.
  'backend-config',
  'backend-index',
  'backend-install',
].sort();

const snippets = readDocumentSnippets(projectRoot);
const snippet = (name: string) => snippetOf(snippets, name, 'the documents');
const resultAuth = (backend: Awaited<ReturnType<typeof loadKubernetesObjects>>['backend']) =>
  backend.objectsRequests()[0]?.body?.auth;

describe('snippet', () => {
  it.each(['app-config', 'disable-stock', 'token-provider-name', 'config-locator', 'real-mode', 'backend-config', 'catalog-cluster-urls'])(
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
    expect(resultAuth(backend)).toEqual(ALL_CREDENTIALS);
  });

  it('token-provider-name works as written', async () => {
    const config = parse(snippet('token-provider-name'));
    const name = config.kubernetes.spectroCloudAuth.tokenProviderName;
    const { result, backend } = await loadKubernetesObjects({
      config,
      clusters: [{ name: 'palette', authProvider: 'oidc', oidcTokenProvider: name }],
    });
    expect(result.error).toBeUndefined();
    expect(resultAuth(backend)).toEqual({ oidc: { [name]: SPECTROCLOUD_TOKEN } });
  });

  it.each(['config-locator', 'real-mode'])('%s works as written', async name => {
    const clusters: Cluster[] = parse(snippet(name)).kubernetes.clusterLocatorMethods[0].clusters.map(
      ({ name: clusterName, authProvider, oidcTokenProvider }: Cluster) => ({ name: clusterName, authProvider, oidcTokenProvider }),
    );
    const { result, backend } = await loadKubernetesObjects({ clusters });
    expect(result.error).toBeUndefined();
    expect(resultAuth(backend)).toEqual({ oidc: { spectrocloud: SPECTROCLOUD_TOKEN } });
  });

  it('real-mode and backend-config give the published module the authorization URL it derives the token endpoint from', () => {
    for (const name of ['real-mode', 'backend-config']) {
      expect(parse(snippet(name)).auth.providers.spectrocloud.development.authorizationUrl).toMatch(/\/v1\/oidc\/tenant\/[^/]+\/auth$/);
    }
  });

  it('cluster-provider works as written', async () => {
    // The SpectroCloud cluster provider is not on the npm registry, so its
    // config schema cannot be read; its two settings are checked by effect.
    const { clusterProvider } = parse(snippet('cluster-provider')).spectrocloud.environments[0];
    const { result, backend } = await loadKubernetesObjects({
      clusters: [{ name: 'palette', authProvider: clusterProvider.authType, oidcTokenProvider: clusterProvider.oidcAuthProviderName }],
    });
    expect(result.error).toBeUndefined();
    expect(resultAuth(backend)).toEqual({ oidc: { [clusterProvider.oidcAuthProviderName]: SPECTROCLOUD_TOKEN } });
  });

  it("catalog-cluster-urls lets the backend module trust the catalog clusters it names, and no others", () => {
    const allowed = readAllowedCatalogClusterUrls(new ConfigReader(parse(snippet('catalog-cluster-urls'))));
    expect(allowed('https://prod.palette.example.com:6443')).toBe(true);
    expect(allowed('https://attacker.example.net:6443')).toBe(false);
    expect(allowed('https://prod.palette.example.com.attacker.example.net:6443')).toBe(false);
  });

  it('rbac is a valid ClusterRoleBinding that grants view to a SpectroCloud group and user', () => {
    const binding = new ClusterRoleBinding(parse(snippet('rbac')));
    expect(() => binding.validate()).not.toThrow();
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    // Users are matched by the email claim, which the docs tell the API server to use.
    expect(binding.subjects?.map(s => [s.kind, s.apiGroup]).sort()).toEqual([
      ['Group', 'rbac.authorization.k8s.io'],
      ['User', 'rbac.authorization.k8s.io'],
    ]);
    expect(binding.subjects?.find(s => s.kind === 'User')?.name).toMatch(/@/);
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

  it('sign-in-config adds a resolver to the backend-oidc-config provider, and nothing else', async () => {
    const { auth } = parse(snippet('sign-in-config'));
    expect(Object.keys(auth.providers.spectrocloud.development)).toEqual(['signIn']);
    const provider = { ...parse(snippet('backend-oidc-config')).auth.providers.spectrocloud.development, ...auth.providers.spectrocloud.development };
    await expect(validateAppConfig({ auth: { providers: { oidc: { development: provider } } } }, 'oidc')).resolves.toBeUndefined();
  });

  it('backend-oidc-module is the backend module the development stack runs', () => {
    const running = fs.readFileSync(path.join(projectRoot, 'dev/stack/spectroCloudOidcAuthModule.ts'), 'utf8');
    expect(`${snippet('backend-oidc-module')}\n`).toBe(running);
  });

  it('backend-install and backend-index name the published module the development stack runs', () => {
    const stackPackage = JSON.parse(fs.readFileSync(path.join(projectRoot, 'dev/stack/package.json'), 'utf8'));
    const published = snippet('backend-install').trim().split(/\s+/).pop()!;
    expect(stackPackage.dependencies).toHaveProperty([published]);
    expect(snippet('backend-index')).toBe(`backend.add(import('${published}'));`);
  });

  it('environments-config is valid app-config, for the second Palette of the development stack', async () => {
    const { kubernetes, auth } = parse(snippet('environments-config'));
    await expect(validateAppConfig({ kubernetes })).resolves.toBeUndefined();
    await expect(validateAppConfig({ auth: { providers: { oidc: auth.providers['spectrocloud-eu'] } } }, 'oidc')).resolves.toBeUndefined();
    expect(kubernetes.spectroCloudAuth.environments).toEqual([SECOND_ENVIRONMENT]);
  });

  it('backend-module-install and backend-module-index name the package of backend/', () => {
    const { name } = JSON.parse(fs.readFileSync(path.join(projectRoot, 'backend/package.json'), 'utf8'));
    expect(snippet('backend-module-install').trim().split(/\s+/).pop()).toBe(name);
    expect(snippet('backend-module-index')).toBe(`backend.add(import('${name}'));`);
  });

  it.each(['develop', 'test', 'test-stack', 'e2e', 'bench', 'compat'])('%s runs what exists', name => {
    expect(checkNpmCommandLine(snippet(name))).toEqual([]);
  }, 120_000);
});

describe('the documents', () => {
  it('have a check above for every snippet', () => {
    expect([...snippets.keys()].sort()).toEqual(CHECKED_SNIPPETS);
  });

  it('link only to files that exist', () => {
    for (const document of ['README.md', 'CONTRIBUTING.md', 'bench/README.md', ...fs.readdirSync(path.join(projectRoot, 'docs')).map(f => `docs/${f}`)]) {
      const text = fs.readFileSync(path.join(projectRoot, document), 'utf8');
      for (const [, target] of text.matchAll(/\]\(((?!https?:)[^)#]+)(#[^)]*)?\)/g)) {
        expect({ document, target, exists: fs.existsSync(path.join(projectRoot, path.dirname(document), target)) }).toEqual({ document, target, exists: true });
      }
    }
  });
});
