import { errorApiRef } from '@backstage/frontend-plugin-api';
import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import { waitFor } from '@testing-library/react';
import spectroCloudModule from './index';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';
import { baseConfig, fakeSpectroCloudAuth, renderKubernetesObjects } from './__testUtils__/testApp';

describe('when no plugin provides auth.spectrocloud', () => {
  it('reports at app start what is missing and how to fix it', async () => {
    const errorApi = mockApis.error({ collect: true });
    renderTestApp({
      features: [kubernetesPlugin, spectroCloudModule],
      config: baseConfig,
      apis: [[errorApiRef, errorApi]],
    });

    const { error } = await errorApi.waitForError(/auth\.spectrocloud/);
    expect(error.name).toBe('MissingSpectroCloudAuthApiError');
    expect(error.message).toContain('api:kubernetes/spectrocloud-auth: true');
    expect(error.message).toContain('install a SpectroCloud auth frontend plugin');
  });

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

  it('reports nothing when the API is present', async () => {
    const errorApi = mockApis.error({ collect: true });
    const { apis } = renderTestApp({
      features: [kubernetesPlugin, spectroCloudModule],
      config: baseConfig,
      apis: [[errorApiRef, errorApi], [spectroCloudAuthApiRef, fakeSpectroCloudAuth()]] as any,
    });
    await waitFor(() => expect(apis.get(spectroCloudAuthApiRef)).toBeDefined());
    expect(errorApi.getErrors()).toEqual([]);
  });
});
