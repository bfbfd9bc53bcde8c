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
  builtAccessPage,
  openAccessPage,
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
// docs/ carries a `<!-- snippet: name -->` marker. Each snippet found by its
// marker is checked against the real thing below: app-config against the
// schema the Backstage CLI builds from the installed packages, and then in a
// test app; commands against the project's package.json files, lockfile and
// scripts; Kubernetes objects against the Kubernetes API schema. A snippet
// that another test runs as written names that test, which must name it.
type Check = (text: string, name: string) => void | Promise<void>;
/* eslint-disable jest/no-standalone-expect -- the checks run inside the test below, one per snippet */

const snippets = readDocumentSnippets(projectRoot);
const snippet = (name: string) => snippetOf(snippets, name, 'the documents');
const resultAuth = (backend: Awaited<ReturnType<typeof loadKubernetesObjects>>['backend']) =>
  backend.objectsRequests()[0]?.body?.auth;

const validAppConfig: Check = async text => {
  await expect(validateAppConfig(parse(text))).resolves.toBeUndefined();
};
const sendsTheTokenTo = async (clusters: Cluster[], config = {}) => {
  const { result, backend } = await loadKubernetesObjects({ config, clusters });
  expect(result.error).toBeUndefined();
  return resultAuth(backend);
};
const configLocatorClusters = (text: string): Cluster[] =>
  parse(text).kubernetes.clusterLocatorMethods[0].clusters.map(({ name, authProvider, oidcTokenProvider }: Cluster) => ({ name, authProvider, oidcTokenProvider }));
// The published module's authorization URL, from which it derives the token endpoint.
const paletteAuthorizationUrl: Check = text =>
  expect(parse(text).auth.providers.spectrocloud.development.authorizationUrl).toMatch(/\/v1\/oidc\/tenant\/[^/]+\/auth$/);
const runsWhatExists: Check = text => expect(checkNpmCommandLine(text)).toEqual([]);
/** Run as written by the tests in `dir`, which name the snippet. */
const runBy = (dir: string): Check => (_, name) => {
  const files = fs.readdirSync(path.join(projectRoot, dir), { recursive: true, encoding: 'utf8' }).filter(file => /\.tsx?$/.test(file));
  const naming = files.filter(file => fs.readFileSync(path.join(projectRoot, dir, file), 'utf8').includes(`'${name}'`));
  expect(naming).not.toEqual([]);
};
const both = (...checks: Check[]): Check => async (text, name) => {
  for (const check of checks) await check(text, name);
};
const devDependencies = () => JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).devDependencies;
const backendModuleName = () => JSON.parse(fs.readFileSync(path.join(projectRoot, 'backend/package.json'), 'utf8')).name;
const publishedModuleName = () => snippet('backend-install').trim().split(/\s+/).pop()!;

const checks: Record<string, Check> = {
  'access-page-path': both(validAppConfig, async text => {
    const config = parse(text);
    const { app } = await openAccessPage({ config, path: config.app.extensions[0]['page:kubernetes/access'].config.path });
    expect(await app.findByText(/^Who you are on each Kubernetes cluster/)).toBeInTheDocument();
  }),
  'access-page-off': both(validAppConfig, async text => {
    const { app } = await openAccessPage({ config: parse(text) });
    expect(builtAccessPage(app)).toBeUndefined();
  }),
  'app-config': both(validAppConfig, async text => {
    const { apis } = await startTestApp({ features: [kubernetesPlugin, spectroCloudModule], config: { ...baseConfig, ...parse(text) } });
    expect(apis.get(spectroCloudAuthApiRef)).toBeDefined();
  }),
  'disable-stock': both(validAppConfig, async text => {
    const { result, backend } = await loadKubernetesObjects({ config: parse(text) });
    expect(result.error).toBeUndefined();
    expect(resultAuth(backend)).toEqual(ALL_CREDENTIALS);
  }),
  'token-provider-name': both(validAppConfig, async text => {
    const config = parse(text);
    const name = config.kubernetes.spectroCloudAuth.tokenProviderName;
    expect(await sendsTheTokenTo([{ name: 'palette', authProvider: 'oidc', oidcTokenProvider: name }], config)).toEqual({ oidc: { [name]: SPECTROCLOUD_TOKEN } });
  }),
  'config-locator': both(validAppConfig, async text => {
    expect(await sendsTheTokenTo(configLocatorClusters(text))).toEqual({ oidc: { spectrocloud: SPECTROCLOUD_TOKEN } });
  }),
  'real-mode': both(validAppConfig, paletteAuthorizationUrl, async text => {
    expect(await sendsTheTokenTo(configLocatorClusters(text))).toEqual({ oidc: { spectrocloud: SPECTROCLOUD_TOKEN } });
  }),
  'backend-config': both(validAppConfig, paletteAuthorizationUrl),
  'cluster-provider': async text => {
    // The SpectroCloud cluster provider is not on the npm registry, so its
    // config schema cannot be read; its two settings are checked by effect.
    const { clusterProvider } = parse(text).spectrocloud.environments[0];
    const tokenProvider = clusterProvider.oidcAuthProviderName;
    expect(await sendsTheTokenTo([{ name: 'palette', authProvider: clusterProvider.authType, oidcTokenProvider: tokenProvider }])).toEqual({ oidc: { [tokenProvider]: SPECTROCLOUD_TOKEN } });
  },
  'catalog-cluster-urls': both(validAppConfig, text => {
    const allowed = readAllowedCatalogClusterUrls(new ConfigReader(parse(text)));
    expect(allowed('https://prod.palette.example.com:6443')).toBe(true);
    expect(allowed('https://attacker.example.net:6443')).toBe(false);
    expect(allowed('https://prod.palette.example.com.attacker.example.net:6443')).toBe(false);
  }),
  rbac: text => {
    const binding = new ClusterRoleBinding(parse(text));
    expect(() => binding.validate()).not.toThrow();
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    // Users are matched by the email claim, which the docs tell the API server to use.
    expect(binding.subjects?.map(s => [s.kind, s.apiGroup]).sort()).toEqual([
      ['Group', 'rbac.authorization.k8s.io'],
      ['User', 'rbac.authorization.k8s.io'],
    ]);
    expect(binding.subjects?.find(s => s.kind === 'User')?.name).toMatch(/@/);
  },
  'backend-oidc-config': async text => {
    // The authenticator reads the same keys under `spectrocloud` as its own
    // module declares under `oidc`, so they are checked against that schema.
    const { session, providers } = parse(text).auth;
    expect(Object.keys(providers)).toEqual(['spectrocloud']);
    await expect(validateAppConfig({ auth: { session, providers: { oidc: providers.spectrocloud } } }, 'oidc')).resolves.toBeUndefined();
  },
  // Its schema is checked here; the development stack sets the same resolver.
  'sign-in-config': async text => {
    const { auth } = parse(text);
    expect(Object.keys(auth.providers.spectrocloud.development)).toEqual(['signIn']);
    const provider = { ...parse(snippet('backend-oidc-config')).auth.providers.spectrocloud.development, ...auth.providers.spectrocloud.development };
    await expect(validateAppConfig({ auth: { providers: { oidc: { development: provider } } } }, 'oidc')).resolves.toBeUndefined();
  },
  // Its schema is checked here; the development stack's second Palette runs
  // it as written (dev/stack/stack.ts), which the browser test uses.
  'environments-config': async text => {
    const { kubernetes, auth } = parse(text);
    await expect(validateAppConfig({ kubernetes })).resolves.toBeUndefined();
    await expect(validateAppConfig({ auth: { providers: { oidc: auth.providers['spectrocloud-eu'] } } }, 'oidc')).resolves.toBeUndefined();
    expect(kubernetes.spectroCloudAuth.environments).toEqual([SECOND_ENVIRONMENT]);
  },
  // The development stack runs the module, and test:adopt runs it as written.
  'backend-oidc-module': both(runBy('dev/adopt'), text => {
    expect(`${text}\n`).toBe(fs.readFileSync(path.join(projectRoot, 'dev/stack/spectroCloudOidcAuthModule.ts'), 'utf8'));
  }),
  // The published backend module, which the development stack runs.
  'backend-install': () => expect(devDependencies()).toHaveProperty([publishedModuleName()]),
  'backend-index': text => expect(text).toBe(`backend.add(import('${publishedModuleName()}'));`),
  // This repository's backend module, which test:adopt adds as written.
  'backend-module-install': both(runBy('dev/adopt'), text => expect(text.trim().split(/\s+/).pop()).toBe(backendModuleName())),
  'backend-module-index': both(runBy('dev/adopt'), text => expect(text).toBe(`backend.add(import('${backendModuleName()}'));`)),
  'backend-oidc-index': runBy('dev/adopt'),
  'backend-oidc-install': runBy('dev/adopt'),
  'install-yarn': runBy('dev/adopt'),
  // Type-checked in the create-app app, and checked to apply to its App.tsx.
  'sign-in-page': runBy('dev/adopt'),
  'sign-in-page-app': runBy('dev/adopt'),
  // Run for real, in an npm app.
  install: runBy('test'),
  develop: runsWhatExists,
  test: runsWhatExists,
  'test-stack': runsWhatExists,
  e2e: runsWhatExists,
  bench: runsWhatExists,
  compat: runsWhatExists,
};

describe('every snippet of the documents', () => {
  it.each([...snippets.keys()].sort())('%s is checked against the real thing', async name => {
    const check = checks[name];
    if (!check) throw new Error(`No check for the snippet '${name}': add one to test/snippets.test.tsx.`);
    expect.hasAssertions();
    await check(snippet(name), name);
  }, 120_000);

  it('has no check left whose snippet is gone', () => {
    expect(Object.keys(checks).filter(name => !snippets.has(name))).toEqual([]);
  });
});

describe('the documents', () => {
  it('link only to files that exist', () => {
    for (const document of ['README.md', 'CONTRIBUTING.md', 'bench/README.md', ...fs.readdirSync(path.join(projectRoot, 'docs')).map(f => `docs/${f}`)]) {
      const text = fs.readFileSync(path.join(projectRoot, document), 'utf8');
      for (const [, target] of text.matchAll(/\]\(((?!https?:)[^)#]+)(#[^)]*)?\)/g)) {
        expect({ document, target, exists: fs.existsSync(path.join(projectRoot, path.dirname(document), target)) }).toEqual({ document, target, exists: true });
      }
    }
  });
});
