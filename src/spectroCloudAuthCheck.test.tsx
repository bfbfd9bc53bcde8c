import {
  ApiBlueprint,
  createFrontendModule,
  errorApiRef,
  type FrontendFeature,
} from '@backstage/frontend-plugin-api';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import {
  KubernetesAuthProviders,
  kubernetesAuthProvidersApiRef,
} from '@backstage/plugin-kubernetes-react';
import type { JsonObject } from '@backstage/types';
import spectroCloudModule from './index';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';
import {
  baseConfig,
  fakeSpectroCloudAuth,
  renderKubernetesObjects,
  stockAuthApis,
} from './__testUtils__/testApp';

/**
 * Starts an app and returns the errors posted once it has rendered: the
 * content is on screen only after the app root, and `findByText` flushes
 * React's effects, so the start-up check has run by then.
 */
async function errorsAtStart(options: {
  features?: FrontendFeature[];
  config?: JsonObject;
  spectroCloudAuth?: boolean;
}) {
  const errorApi = mockApis.error({ collect: true });
  const rendered = renderInTestApp(<div>app is up</div>, {
    features: options.features ?? [kubernetesPlugin, spectroCloudModule],
    config: { ...baseConfig, ...options.config },
    apis: [
      [errorApiRef, errorApi],
      ...stockAuthApis(),
      ...(options.spectroCloudAuth === false ? [] : [[spectroCloudAuthApiRef, fakeSpectroCloudAuth()]]),
    ] as any,
  });
  await rendered.findByText('app is up');
  return errorApi.getErrors().map(({ error }) => error);
}

// Another package's module that brings its own Kubernetes auth providers.
function otherProvidersModule(name: string) {
  return createFrontendModule({
    pluginId: 'kubernetes',
    extensions: [
      ApiBlueprint.make({
        name,
        params: defineParams =>
          defineParams({
            api: kubernetesAuthProvidersApiRef,
            deps: {},
            factory: () => new KubernetesAuthProviders({} as any),
          }),
      }),
    ],
  });
}

describe('at app start', () => {
  it('reports nothing when the app has auth.spectrocloud and this module\'s providers', async () => {
    expect(await errorsAtStart({})).toEqual([]);
  });

  it('reports a missing auth.spectrocloud, naming the fix', async () => {
    const errors = await errorsAtStart({ spectroCloudAuth: false });

    expect(errors.map(e => e.name)).toEqual(['MissingSpectroCloudAuthApiError']);
    expect(errors[0].message).toMatch(/^No SpectroCloud auth API \(auth\.spectrocloud\) is registered/);
    expect(errors[0].message).toContain('api:kubernetes/spectrocloud-auth: true');
    expect(errors[0].message).toContain('install a SpectroCloud auth frontend plugin');
  });

  it('reports another module\'s providers API that won, naming its extension', async () => {
    const errors = await errorsAtStart({
      features: [kubernetesPlugin, spectroCloudModule, otherProvidersModule('custom-auth-providers')],
    });

    expect(errors.map(e => e.name)).toEqual(['KubernetesAuthProvidersOverriddenError']);
    expect(errors[0].message).toContain(
      'is not the one from backstage-plugin-kubernetes-module-spectrocloud-auth',
    );
    expect(errors[0].message).toContain(
      'It comes from \'api:kubernetes/custom-auth-providers\'. Disable that extension in app-config ("app.extensions: [{ api:kubernetes/custom-auth-providers: false }]")',
    );
  });

  it('reports a module that took over api:kubernetes/auth-providers', async () => {
    const errors = await errorsAtStart({
      features: [kubernetesPlugin, spectroCloudModule, otherProvidersModule('auth-providers')],
      config: { app: { extensions: [{ 'api:kubernetes/spectrocloud-auth-providers': false }] } },
    });

    expect(errors.map(e => e.name)).toEqual(['KubernetesAuthProvidersOverriddenError']);
    expect(errors[0].message).toContain('It comes from \'api:kubernetes/auth-providers\'.');
  });

  it('reports an app-config that disables both of this module\'s providers APIs', async () => {
    const errors = await errorsAtStart({
      config: {
        app: {
          extensions: [
            { 'api:kubernetes/auth-providers': false },
            { 'api:kubernetes/spectrocloud-auth-providers': false },
          ],
        },
      },
    });

    expect(errors.map(e => e.name)).toEqual(['MissingKubernetesAuthProvidersError']);
    expect(errors[0].message).toContain('Remove "api:kubernetes/spectrocloud-auth-providers: false"');
  });

  it('reports an invalid token-provider name', async () => {
    const errors = await errorsAtStart({
      config: { kubernetes: { spectroCloudAuth: { tokenProviderName: 'okta' } } },
    });

    expect(errors.map(e => e.message)).toEqual([
      expect.stringMatching(/^Invalid app-config at kubernetes\.spectroCloudAuth\.tokenProviderName: 'okta'/),
    ]);
  });
});

describe('when no plugin provides auth.spectrocloud', () => {
  it('the Kubernetes tab fails naming auth.spectrocloud, and nothing is sent', async () => {
    // The API resolver throws during render, which React reports on the console.
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { rendered, backend } = renderKubernetesObjects({ spectroCloudAuth: null });
      const shown = await rendered.findAllByText(
        /No API factory available for dependency apiRef\{auth\.spectrocloud\}/,
      );
      expect(shown.length).toBeGreaterThan(0);
      expect(backend.requests).toHaveLength(0);
    } finally {
      consoleError.mockRestore();
    }
  });
});
