import { mockApis } from '@backstage/frontend-test-utils';
import { readTokenProviderName } from './config';
import { loadKubernetesObjects, renderKubernetesObjects, SPECTROCLOUD_TOKEN } from './__testUtils__/testApp';

const read = (value: unknown) =>
  readTokenProviderName(
    mockApis.config({
      data: value === undefined ? {} : { kubernetes: { spectroCloudAuth: { tokenProviderName: value } } },
    }),
  );

describe('kubernetes.spectroCloudAuth.tokenProviderName', () => {
  it('defaults to spectrocloud', () => {
    expect(read(undefined)).toBe('spectrocloud');
  });

  it('accepts a header-token name', () => {
    expect(read('palette-prod')).toBe('palette-prod');
  });

  it.each([
    ['', /must not be empty/],
    [42, /expected a string, got number/],
    [['a'], /expected a string, got an array/],
    ['palette prod', /"palette prod" is not a valid HTTP header token/],
    ['palette:prod', /not a valid HTTP header token/],
    ['okta', /'okta' is already the Kubernetes plugin's own OIDC provider/],
    ['google', /already the Kubernetes plugin's own OIDC provider/],
  ])('rejects %j naming the key and the rule', (value, rule) => {
    expect(() => read(value)).toThrow(rule);
    expect(() => read(value)).toThrow(
      /^Invalid app-config at kubernetes\.spectroCloudAuth\.tokenProviderName: /,
    );
  });

  it('routes the SpectroCloud token to clusters with the configured name', async () => {
    const { result, backend } = await loadKubernetesObjects({
      config: { kubernetes: { spectroCloudAuth: { tokenProviderName: 'palette' } } },
      clusters: [
        { name: 'palette-prod', authProvider: 'oidc', oidcTokenProvider: 'palette' },
        { name: 'shared', authProvider: 'serviceAccount' },
      ],
    });

    expect(result.error).toBeUndefined();
    const post = backend.requests.find(r => r.method === 'POST');
    expect(post?.body.auth).toEqual({ oidc: { palette: SPECTROCLOUD_TOKEN } });
  });

  it('shows the message where the Kubernetes tab would render, and sends nothing', async () => {
    // The API factory throws during render, which React reports on the console.
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { rendered, backend } = renderKubernetesObjects({
        config: { kubernetes: { spectroCloudAuth: { tokenProviderName: 'okta' } } },
      });

      expect(
        await rendered.findByText(
          /^Error: Invalid app-config at kubernetes\.spectroCloudAuth\.tokenProviderName: 'okta' is already/,
        ),
      ).toBeInTheDocument();
      expect(backend.requests).toHaveLength(0);
    } finally {
      consoleError.mockRestore();
    }
  });
});
