import {
  fakeSpectroCloudAuth,
  idToken,
  loadKubernetesObjects,
  SPECTROCLOUD_TOKEN,
  startKubernetesProxy,
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
    const { kubernetesApi, backend } = await startKubernetesProxy({ spectroCloudAuth: fakeSpectroCloudAuth(getIdToken) });

    await expect(
      kubernetesApi.proxy({ clusterName: 'palette-prod', path: '/api/v1/namespaces/default/pods/p/log' }),
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

describe('ID token lifetime', () => {
  // A SpectroCloud auth API that hands out the given tokens in turn, the last
  // one for every call after.
  function handingOut(...tokens: string[]) {
    let calls = 0;
    return fakeSpectroCloudAuth(async () => tokens[Math.min(calls++, tokens.length - 1)]);
  }

  const fresh = idToken({ expiresIn: 3600 });

  it.each([
    ['expired', idToken({ expiresIn: -60 })],
    ['about to expire', idToken({ expiresIn: 10 })],
    ['signed with HS256', idToken({ alg: 'HS256' })],
    ['unsigned', idToken({ alg: 'none' })],
  ])('asks again for a token that is %s, and sends the fresh one', async (_, unusable) => {
    const spectroCloudAuth = handingOut(unusable, fresh);
    const { result, backend } = await loadKubernetesObjects({ spectroCloudAuth });

    expect(result.error).toBeUndefined();
    expect(backend.requests.find(r => r.method === 'POST')?.body.auth.oidc.spectrocloud).toBe(fresh);
    expect(spectroCloudAuth.getIdToken).toHaveBeenCalledTimes(2);
  });

  it('fails an expired session with the time and the fix, asks twice only, and sends nothing', async () => {
    const expired = idToken({ expiresIn: -60 });
    const spectroCloudAuth = handingOut(expired);
    const { result, backend } = await loadKubernetesObjects({ spectroCloudAuth });

    expect(result.error).toMatch(
      /^Your SpectroCloud session has expired: its ID token is valid until \d{4}-\d\d-\d\dT[\d:.]+Z \(this browser's clock reads \d{4}-[\d-]+T[\d:.]+Z\), and no fresh one could be had, so nothing was sent to clusters with oidcTokenProvider 'spectrocloud'\. Sign in with SpectroCloud again\.$/,
    );
    expect(result.error).not.toContain(expired);
    expect(spectroCloudAuth.getIdToken).toHaveBeenCalledTimes(2);
    expect(backend.requests.filter(r => r.method === 'POST')).toEqual([]);
  });

  it('shows both clocks when an exp far in the past comes from a skewed clock', async () => {
    const { result } = await loadKubernetesObjects({ spectroCloudAuth: handingOut(idToken({ expiresIn: -86_400 * 365 })) });
    expect(result.error).toMatch(/valid until \d{4}-.*this browser's clock reads \d{4}-/);
  });

  it('refuses a token that stays HS256, naming the backend behaviour that produced it', async () => {
    const hs256 = idToken({ alg: 'HS256' });
    const { result, backend } = await loadKubernetesObjects({ spectroCloudAuth: handingOut(hs256) });

    expect(result.error).toMatch(/^SpectroCloud sign-in handed out a token signed with HS256, which no Kubernetes API server accepts as an ID token/);
    expect(result.error).toContain('@terasky/backstage-plugin-spectrocloud-auth-backend');
    expect(result.error).toContain('HS256 refresh_token');
    expect(result.error).not.toContain(hs256);
    expect(backend.requests.filter(r => r.method === 'POST')).toEqual([]);
  });

  it.each([
    ['a token without exp', idToken({ payload: { sub: 'alice' } })],
    ['an opaque token', 'opaque-palette-token'],
    ['a token with a malformed payload', 'eyJhbGciOiJSUzI1NiJ9.bm90LWpzb24.c2ln'],
  ])('passes %s on unchanged', async (_, token) => {
    const spectroCloudAuth = handingOut(token);
    const { result, backend } = await loadKubernetesObjects({ spectroCloudAuth });

    expect(result.error).toBeUndefined();
    expect(backend.requests.find(r => r.method === 'POST')?.body.auth.oidc.spectrocloud).toBe(token);
    expect(spectroCloudAuth.getIdToken).toHaveBeenCalledTimes(1);
  });

  it('on the proxy path, sends no expired token either', async () => {
    const { kubernetesApi, backend } = await startKubernetesProxy({ spectroCloudAuth: handingOut(idToken({ expiresIn: -60 })) });

    await expect(
      kubernetesApi.proxy({ clusterName: 'palette-prod', path: '/api/v1/namespaces/default/pods/p/log' }),
    ).rejects.toThrow(/^Your SpectroCloud session has expired/);
    expect(backend.requests.filter(r => r.url.includes('/proxy/'))).toEqual([]);
  });
});
