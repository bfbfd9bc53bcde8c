import { unsignedJwt } from '../dev/lib/jwt';
import { grantCommand, probeCluster, shownClaims, type ClusterPoster, type ProxyOutcome } from './access';

// Answers as Kubernetes 1.33 and Backstage's Kubernetes proxy give them.
const status = (code: number, reason: string, message: string, details = {}) => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code },
});
const NOT_FOUND = status(404, 'NotFound', 'the server could not find the requested resource');
const UNAUTHORIZED = status(401, 'Unauthorized', 'Unauthorized');
const selfReview = (version: string) => ({
  status: 201,
  body: {
    kind: 'SelfSubjectReview',
    apiVersion: `authentication.k8s.io/${version}`,
    metadata: { creationTimestamp: null },
    status: { userInfo: { username: 'bob@example.com', groups: ['contractors', 'system:authenticated'] } },
  },
});
const accessReview = (review: object) => ({
  status: 201,
  body: {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { resourceAttributes: { verb: 'list', resource: 'pods' } },
    status: review,
  },
});
const claims = { iss: 'https://api.spectrocloud.com/v1/oidc/tenant/t1', aud: ['backstage'], email: 'bob@example.com' };

/** A cluster that answers each path with the next of its outcomes; records what was asked. */
function cluster(answers: Record<string, ProxyOutcome[]>) {
  const asked: Array<{ path: string; body: any }> = [];
  const post: ClusterPoster = async (path, body) => {
    asked.push({ path, body });
    const answer = answers[path.replace(/^\/apis\/[^/]+\//, '')]?.shift();
    if (!answer) throw new Error(`unexpected ${path}`);
    return answer;
  };
  return { post, asked };
}

describe('probeCluster', () => {
  it('says who the cluster makes the user and whether they may list pods, with the RBAC reason', async () => {
    const reason = 'RBAC: allowed by ClusterRoleBinding "platform-readers" of ClusterRole "view" to Group "platform-readers"';
    const { post, asked } = cluster({
      'v1/selfsubjectreviews': [selfReview('v1')],
      'v1/selfsubjectaccessreviews': [accessReview({ allowed: true, reason }), accessReview({ allowed: false })],
    });

    const access = await probeCluster('palette-dev', post, claims, [undefined, 'demo']);

    expect(access).toEqual({
      identity: { username: 'bob@example.com', groups: ['contractors', 'system:authenticated'] },
      pods: [
        { namespace: undefined, allowed: true, reason },
        { namespace: 'demo', allowed: false },
      ],
      notes: [],
    });
    expect(asked.map(({ body }) => body.spec?.resourceAttributes)).toEqual([undefined, { verb: 'list', resource: 'pods' }, { verb: 'list', resource: 'pods', namespace: 'demo' }]);
  });

  it('falls back to v1beta1 on a 404, as kubectl auth whoami does', async () => {
    const { post, asked } = cluster({
      'v1/selfsubjectreviews': [NOT_FOUND],
      'v1beta1/selfsubjectreviews': [selfReview('v1beta1')],
      'v1/selfsubjectaccessreviews': [accessReview({ allowed: false })],
    });

    const access = await probeCluster('palette-dev', post, claims, [undefined]);

    expect(access.identity?.username).toBe('bob@example.com');
    expect(asked[1].body).toEqual({ apiVersion: 'authentication.k8s.io/v1beta1', kind: 'SelfSubjectReview' });
  });

  it('on a 404 from both versions, says the cluster is older and still asks about pods', async () => {
    const { post } = cluster({
      'v1/selfsubjectreviews': [NOT_FOUND],
      'v1beta1/selfsubjectreviews': [NOT_FOUND],
      'v1/selfsubjectaccessreviews': [accessReview({ allowed: true })],
    });

    const access = await probeCluster('old-cluster', post, claims, [undefined]);

    expect(access.identity).toBeUndefined();
    expect(access.pods).toEqual([{ namespace: undefined, allowed: true }]);
    expect(access.notes).toEqual([expect.stringMatching(/^old-cluster has no SelfSubjectReview API \(Kubernetes before 1\.27\).*It did accept the token/)]);
  });

  it("on a 401, names the token's issuer and audience and the Palette identity-provider setting", async () => {
    const { post, asked } = cluster({ 'v1/selfsubjectreviews': [UNAUTHORIZED] });

    const access = await probeCluster('palette-tenant-idp', post, claims, [undefined]);

    expect(access.notes).toEqual([
      'palette-tenant-idp does not accept this token (401 Unauthorized). Its API server must trust the issuer https://api.spectrocloud.com/v1/oidc/tenant/t1 with the client ID backstage, ' +
        'the token\'s iss and aud. A Palette cluster trusts Palette\'s issuer only when its Kubernetes layer\'s OIDC identity provider is "Palette"; ' +
        'with "Inherit from Tenant" or "Custom" it trusts another issuer and refuses every Palette token.',
    ]);
    expect(asked).toHaveLength(1);
  });

  it('on a 403 to the review itself, names system:basic-user', async () => {
    const forbidden = status(
      403,
      'Forbidden',
      'selfsubjectreviews.authentication.k8s.io is forbidden: User "bob@example.com" cannot create resource "selfsubjectreviews" in API group "authentication.k8s.io" at the cluster scope',
      { group: 'authentication.k8s.io', kind: 'selfsubjectreviews' },
    );
    const { post } = cluster({ 'v1/selfsubjectreviews': [forbidden] });

    const { notes } = await probeCluster('locked', post, claims, [undefined]);

    expect(notes[0]).toMatch(/^locked refused the review itself \(403: selfsubjectreviews.authentication.k8s.io is forbidden: .*\)\. .*ClusterRole system:basic-user/);
  });

  it("on Backstage's denial of kubernetes.proxy, says it is a Backstage permission, not RBAC", async () => {
    const denied = { status: 403, body: { error: { name: 'NotAllowedError', message: 'Unauthorized' }, request: { method: 'POST', url: '/proxy/apis' }, response: { statusCode: 403 } } };
    const { post } = cluster({ 'v1/selfsubjectreviews': [denied] });

    const { notes } = await probeCluster('palette-dev', post, claims, [undefined]);

    expect(notes[0]).toMatch(/^Backstage refused the request \(NotAllowedError\): you lack the Backstage permission kubernetes\.proxy.*not the cluster's RBAC/);
  });

  it('says when the cluster did not answer, and stops there', async () => {
    const { post, asked } = cluster({ 'v1/selfsubjectreviews': [{ unreachable: 'no answer in 10 s' }] });

    const { notes } = await probeCluster('far-away', post, claims, [undefined, 'demo']);

    expect(notes).toEqual(["far-away did not answer through the Kubernetes backend (no answer in 10 s). Check again; if it stays so, the Kubernetes backend cannot reach the cluster's API server."]);
    expect(asked).toHaveLength(1);
  });

  it("passes on this module's reason for keeping a request back", async () => {
    const expired = 'The SpectroCloud ID token for oidcTokenProvider \'spectrocloud\' is valid until 2026-01-01T00:00:00.000Z (browser clock: 2026-01-01T00:01:00.000Z). Sign in again.';
    const { post } = cluster({ 'v1/selfsubjectreviews': [{ notSent: expired }] });

    const { notes } = await probeCluster('palette-dev', post, claims, [undefined]);

    expect(notes).toEqual([`Nothing was sent to palette-dev: ${expired}`]);
  });

  it('explains a failed access review the same way', async () => {
    const { post } = cluster({ 'v1/selfsubjectreviews': [selfReview('v1')], 'v1/selfsubjectaccessreviews': [UNAUTHORIZED] });

    const access = await probeCluster('palette-dev', post, claims, [undefined]);

    expect(access.identity).toBeDefined();
    expect(access.notes[0]).toMatch(/^palette-dev does not accept this token \(401 Unauthorized\)/);
  });
});

describe('shownClaims', () => {
  it('keeps only the allow-listed claims, decoded as UTF-8', () => {
    const token = unsignedJwt({ email: 'zoë@example.com', sub: 'u1', groups: ['a'], at_hash: 'x', nonce: 'n', name: 'Zoë', exp: 1, iat: 0 });

    expect(shownClaims(token)).toEqual({ email: 'zoë@example.com', sub: 'u1', groups: ['a'], exp: 1, iat: 0 });
    expect(shownClaims('opaque')).toEqual({});
  });
});

describe('grantCommand', () => {
  it('names the binding a cluster admin creates, cluster-wide or in a namespace', () => {
    expect(grantCommand('bob@example.com')).toBe('kubectl create clusterrolebinding bob-example-com-view --clusterrole=view --user=bob@example.com');
    expect(grantCommand('bob@example.com', 'demo')).toBe('kubectl create rolebinding bob-example-com-view --clusterrole=view --user=bob@example.com --namespace=demo');
  });
});
