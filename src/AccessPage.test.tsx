import { act, fireEvent, waitFor, within } from '@testing-library/react';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import spectroCloudModule from './index';
import { CLUSTERS, idToken, openAccessPage, otherProvidersModule, spectroCloudAuthWithoutSession } from './__testUtils__/testApp';

const ISSUER = 'https://palette.example/v1/oidc/tenant/t1';
const now = Math.floor(Date.now() / 1000);
const tokenOf = (email: string, groups: string[], exp = now + 3600) =>
  idToken({ payload: { email, sub: email.split('@')[0], groups, iss: ISSUER, aud: 'backstage', email_verified: true, nonce: 'n-1', iat: exp - 3600, exp } });
const ALICE_TOKEN = tokenOf('alice@example.com', ['platform-readers']);
const READERS_REASON = 'RBAC: allowed by ClusterRoleBinding "platform-readers" of ClusterRole "view" to Group "platform-readers"';

// palette-prod as the Kubernetes proxy relays it: a review for whoever the
// token names, and pods for the platform-readers group only. The cluster is
// not on this machine; these are its answers' shapes.
function palettePod(request: { path: string; headers: Record<string, string> }) {
  const token = request.headers['backstage-kubernetes-authorization-oidc-spectrocloud'];
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  const groups = [...claims.groups, 'system:authenticated'];
  if (request.path.endsWith('/selfsubjectreviews')) {
    return Response.json({ kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: {}, status: { userInfo: { username: claims.email, groups } } }, { status: 201 });
  }
  const allowed = groups.includes('platform-readers');
  return Response.json({ kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: {}, status: { allowed, ...(allowed && { reason: READERS_REASON }) } }, { status: 201 });
}

const row = (app: { getByRole: Function }, cluster: string) => within(app.getByRole('row', { name: cluster }));

describe('the Kubernetes access page', () => {
  it("shows the session's claims and who each SpectroCloud cluster says the user is, without the token", async () => {
    const auth = { getIdToken: jest.fn(async () => ALICE_TOKEN), signOut: jest.fn(async () => {}) };
    const { app, backend } = await openAccessPage({ spectroCloudAuth: auth, proxy: palettePod });

    await app.findByText('Signed in as alice@example.com.');
    await waitFor(() => expect(row(app, 'palette-prod').getByText(/^May list pods cluster-wide/)).toBeInTheDocument());

    expect(app.getByRole('heading', { name: 'Kubernetes access' })).toBeInTheDocument();
    expect(app.getByText(ISSUER)).toBeInTheDocument();
    expect(app.queryByText('n-1')).toBeNull();
    expect(row(app, 'palette-prod').getByText('groups: platform-readers, system:authenticated')).toBeInTheDocument();
    expect(row(app, 'palette-prod').getByText(`May list pods cluster-wide: ${READERS_REASON}`)).toBeInTheDocument();
    // Every other cluster is listed, and not asked.
    expect(app.getAllByText('Not checked: its credentials do not come from SpectroCloud.')).toHaveLength(CLUSTERS.length - 1);
    expect(new Set(backend.proxyRequests().map(r => r.headers['backstage-kubernetes-cluster']))).toEqual(new Set(['palette-prod']));
    const [, payload, signature] = ALICE_TOKEN.split('.');
    expect(document.body.innerHTML).not.toContain(payload);
    expect(document.body.innerHTML).not.toContain(signature);
  });

  it('names the binding that would let a user without one list pods', async () => {
    const auth = { getIdToken: jest.fn(async () => tokenOf('bob@example.com', ['contractors'])) };
    const { app } = await openAccessPage({ spectroCloudAuth: auth, proxy: palettePod });

    await waitFor(() => expect(row(app, 'palette-prod').getByText(/^May not list pods cluster-wide/)).toBeInTheDocument());
    expect(row(app, 'palette-prod').getByText('kubectl create clusterrolebinding bob-example-com-view --clusterrole=view --user=bob@example.com')).toBeInTheDocument();
  });

  it('sends nothing with a token about to expire, and says why', async () => {
    const auth = { getIdToken: jest.fn(async () => tokenOf('alice@example.com', ['platform-readers'], now + 10)) };
    const { app, backend } = await openAccessPage({ spectroCloudAuth: auth, proxy: palettePod });

    expect(await row(app, 'palette-prod').findByText(/^Nothing was sent to palette-prod: .*SpectroCloudSessionExpiredError/)).toBeInTheDocument();
    expect(backend.proxyRequests()).toHaveLength(0);
  });

  it('checks a namespace the user names, on "Check again" and not before', async () => {
    const auth = { getIdToken: jest.fn(async () => ALICE_TOKEN) };
    const { app, backend } = await openAccessPage({ spectroCloudAuth: auth, proxy: palettePod });
    await waitFor(() => expect(row(app, 'palette-prod').getByText(/^May list pods cluster-wide/)).toBeInTheDocument());
    const asked = backend.proxyRequests().length;

    fireEvent.change(app.getByLabelText('Also check namespace'), { target: { value: 'demo' } });
    expect(backend.proxyRequests()).toHaveLength(asked);
    fireEvent.click(app.getByRole('button', { name: 'Check again' }));

    await waitFor(() => expect(row(app, 'palette-prod').getByText(/^May list pods in demo/)).toBeInTheDocument());
    expect(backend.proxyRequests().at(-1)?.body).toMatchObject({ spec: { resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'demo' } } });
  });

  it('without a session, asks nothing of the clusters; a sign-in from the page, after a rejected one, checks them', async () => {
    const auth = spectroCloudAuthWithoutSession();
    const { app, backend } = await openAccessPage({ spectroCloudAuth: auth, proxy: palettePod });

    await app.findByText('Not signed in.');
    expect(await row(app, 'palette-prod').findByText('Not signed in with SpectroCloud: sign in above, then check again.')).toBeInTheDocument();
    fireEvent.click(app.getByRole('button', { name: 'Sign in with SpectroCloud' }));
    await waitFor(() => expect(auth.asked).toHaveLength(1));
    act(() => auth.asked[0].reject());
    expect(await app.findByText('Sign-in did not complete (RejectedError).')).toBeInTheDocument();
    expect(backend.proxyRequests()).toHaveLength(0);

    fireEvent.click(app.getByRole('button', { name: 'Sign in with SpectroCloud' }));
    await waitFor(() => expect(auth.asked).toHaveLength(2));
    act(() => auth.asked[1].signIn(ALICE_TOKEN));

    await app.findByText('Signed in as alice@example.com.');
    await waitFor(() => expect(row(app, 'palette-prod').getByText(/^May list pods cluster-wide/)).toBeInTheDocument());
  });

  it("signs out of one source, and then shows it signed out", async () => {
    let token = ALICE_TOKEN;
    const auth = { getIdToken: jest.fn(async () => token), signOut: jest.fn(async () => void (token = '')) };
    const { app } = await openAccessPage({ spectroCloudAuth: auth, proxy: palettePod });

    fireEvent.click(await app.findByRole('button', { name: 'Sign out of SpectroCloud' }));

    await app.findByText('Not signed in.');
    expect(auth.signOut).toHaveBeenCalledTimes(1);
  });

  it('says so when another extension provides the Kubernetes auth providers API, and asks nothing', async () => {
    const { app, backend } = await openAccessPage({
      features: [kubernetesPlugin, spectroCloudModule, otherProvidersModule('auth-providers')],
      config: { app: { extensions: [{ 'api:kubernetes/spectrocloud-auth-providers': false }] } },
    });

    expect(await app.findByRole('alert')).toHaveTextContent(/^Another extension provides the Kubernetes auth providers API.*KubernetesAuthProvidersOverriddenError/);
    expect(backend.proxyRequests()).toHaveLength(0);
  });
});
