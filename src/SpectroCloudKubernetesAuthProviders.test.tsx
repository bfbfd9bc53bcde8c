import { fetchApiRef } from '@backstage/frontend-plugin-api';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import { kubernetesApiRef } from '@backstage/plugin-kubernetes-react';
import spectroCloudModule from './index';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';
import {
  baseConfig,
  fakeKubernetesBackend,
  fakeSpectroCloudAuth,
  loadKubernetesObjects,
  SPECTROCLOUD_TOKEN,
  stockAuthApis,
  startTestApp,
} from './__testUtils__/testApp';

function rejectedError(name: string, message: string) {
  const error = new Error(message);
  error.name = name;
  return error;
}

const failures: Array<[string, () => Promise<unknown>, RegExp]> = [
  [
    'the user is not signed in and dismisses the sign-in prompt',
    async () => { throw rejectedError('RejectedError', 'Login failed, rejected by user'); },
    /^SpectroCloud sign-in is required for clusters with oidcTokenProvider 'spectrocloud', but it did not complete \(RejectedError: Login failed, rejected by user\)\. Sign in with SpectroCloud and try again\.$/,
  ],
  [
    'getIdToken rejects because the sign-in popup was closed',
    async () => { throw rejectedError('PopupRejectedError', 'Login failed, popup was closed'); },
    /SpectroCloud sign-in is required .*PopupRejectedError: Login failed, popup was closed/,
  ],
  [
    'getIdToken resolves an empty string',
    async () => '',
    /^SpectroCloud sign-in returned no ID token for clusters with oidcTokenProvider 'spectrocloud', so no credentials were sent\./,
  ],
  [
    'getIdToken resolves undefined',
    async () => undefined,
    /SpectroCloud sign-in returned no ID token .*'openid' scope/,
  ],
];

describe.each(failures)('when %s', (_, getIdToken, message) => {
  it('fails the request with an error naming SpectroCloud sign-in and sends nothing', async () => {
    const { result, backend } = await loadKubernetesObjects({
      spectroCloudAuth: fakeSpectroCloudAuth(getIdToken),
    });

    expect(result.error).toMatch(message);
    expect(backend.requests.filter(r => r.method === 'POST')).toHaveLength(0);
  });
});

describe.each(failures)('on the proxy path (pod logs, exec), when %s', (_, getIdToken, message) => {
  it('fails with the same error and sends no request', async () => {
    const backend = fakeKubernetesBackend();
    const { apis } = await startTestApp({
      features: [kubernetesPlugin, spectroCloudModule],
      config: baseConfig,
      apis: [
        [fetchApiRef, backend.fetchApi],
        [spectroCloudAuthApiRef, fakeSpectroCloudAuth(getIdToken)],
        ...stockAuthApis(),
      ] as any,
    });

    await expect(
      apis.get(kubernetesApiRef)!.proxy({ clusterName: 'palette-prod', path: '/api/v1/namespaces/default/pods/p/log' }),
    ).rejects.toThrow(message);
    expect(backend.requests.filter(r => r.url.includes('/proxy/'))).toEqual([]);
  });
});

describe('token text', () => {
  it('never reaches an error message or a log line', async () => {
    const logged: unknown[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map(level =>
      jest.spyOn(console, level).mockImplementation((...args) => { logged.push(...args); }),
    );
    try {
      const { result } = await loadKubernetesObjects({
        spectroCloudAuth: fakeSpectroCloudAuth(async () => {
          throw new Error(`refresh failed for id_token=${SPECTROCLOUD_TOKEN}; Authorization: Bearer ${SPECTROCLOUD_TOKEN}`);
        }),
      });
      expect(result.error).toMatch(/SpectroCloud sign-in is required/);
      expect(result.error).not.toContain(SPECTROCLOUD_TOKEN);
      expect(result.error).toContain('[redacted]');
      const successful = await loadKubernetesObjects({});
      expect(successful.result.error).toBeUndefined();
      expect(JSON.stringify(logged.map(String))).not.toContain(SPECTROCLOUD_TOKEN);
    } finally {
      spies.forEach(spy => spy.mockRestore());
    }
  });
});
