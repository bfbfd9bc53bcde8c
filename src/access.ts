import { decodeObject } from './idToken';

/** The claims the access page shows, read in the browser and not verified: never the token itself. */
export const SHOWN_CLAIMS = ['email', 'sub', 'groups', 'iss', 'aud', 'email_verified', 'iat', 'exp'] as const;
export type ShownClaims = Partial<Record<(typeof SHOWN_CLAIMS)[number], unknown>>;

// A string as its UTF-8 bytes decode: the token's claims come with those bytes as characters.
const utf8 = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(utf8);
  return typeof value === 'string' ? new TextDecoder().decode(Uint8Array.from(value, char => char.charCodeAt(0))) : value;
};

/** The allow-listed claims of `token`, unverified; none when it is no JWT. */
export function shownClaims(token: string): ShownClaims {
  const claims = decodeObject(token.split('.')[1] ?? '') ?? {};
  return Object.fromEntries(SHOWN_CLAIMS.filter(name => name in claims).map(name => [name, utf8(claims[name])]));
}

/** What one request through the Kubernetes proxy came back with; `notSent` when this module kept it back, saying why. */
export type ProxyOutcome = { status: number; body: unknown } | { unreachable: string } | { notSent: string };

/** Sends `body` to `path` of the cluster through the Kubernetes plugin's proxy, as pod logs are sent. */
export type ClusterPoster = (path: string, body: object) => Promise<ProxyOutcome>;

export interface PodsAccess {
  /** Where: a namespace, or the whole cluster. */
  namespace?: string;
  allowed: boolean;
  /** The authorizer's reason, when it names the grant. */
  reason?: string;
}

export interface ClusterAccess {
  /** The user and groups the cluster derived from the token. */
  identity?: { username: string; groups: string[] };
  pods: PodsAccess[];
  /** What the cluster could not say, and why, in the words of {@link explain}. */
  notes: string[];
}

const askWhoAmI = (post: ClusterPoster, version: string) =>
  post(`/apis/authentication.k8s.io/${version}/selfsubjectreviews`, { apiVersion: `authentication.k8s.io/${version}`, kind: 'SelfSubjectReview' });
const ACCESS_REVIEW = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

type Json = Record<string, any>;
const isKubeStatus = (body: unknown): body is Json => (body as Json)?.kind === 'Status';
// The Kubernetes backend's own errors: `{ error: { name, message } }`.
const backstageError = (body: unknown): Json | undefined => (body as Json)?.error;

const list = (values: unknown) => (Array.isArray(values) ? values.join(', ') : String(values ?? 'none'));

/**
 * Why `cluster` did not answer a review, and what to do, from its outcome:
 * Kubernetes `Status` objects, the Kubernetes backend's own errors, or no
 * answer at all. `claims` are the token's, for a 401.
 */
export function explain(cluster: string, outcome: ProxyOutcome, claims: ShownClaims): string {
  if ('notSent' in outcome) return `Nothing was sent to ${cluster}: ${outcome.notSent}`;
  if ('unreachable' in outcome) {
    return `${cluster} did not answer through the Kubernetes backend (${outcome.unreachable}). Check again; if it stays so, the Kubernetes backend cannot reach the cluster's API server.`;
  }
  const { status, body } = outcome;
  const backstage = backstageError(body);
  if (status === 403 && backstage) {
    return `Backstage refused the request (${backstage.name}): you lack the Backstage permission kubernetes.proxy, which this page and pod logs need. It is a Backstage permission, not the cluster's RBAC: ask your Backstage admins.`;
  }
  if (status === 401 && !backstage) {
    return `${cluster} does not accept this token (401 Unauthorized). Its API server must trust the issuer ${claims.iss ?? '(none)'} with the client ID ${list(claims.aud)}, the token's iss and aud. A Palette cluster trusts Palette's issuer only when its Kubernetes layer's OIDC identity provider is "Palette"; with "Inherit from Tenant" or "Custom" it trusts another issuer and refuses every Palette token.`;
  }
  if (status === 403 && isKubeStatus(body)) {
    return `${cluster} refused the review itself (403: ${body.message}). Kubernetes lets every signed-in user ask this through the ClusterRole system:basic-user; on this cluster that binding was changed. Its admins can restore it; the Kubernetes tab does not need it.`;
  }
  if (backstage) return `${cluster} answered ${status} (${backstage.name}: ${backstage.message}).`;
  return `${cluster} answered ${status}${isKubeStatus(body) ? ` (${body.reason}: ${body.message})` : ''}.`;
}

const olderCluster = (cluster: string) =>
  `${cluster} has no SelfSubjectReview API (Kubernetes before 1.27), so it cannot say who you are. It did accept the token, since a 404 comes after authentication: you are who its --oidc-username-claim (usually email) names in the claims above.`;

const ok = (outcome: ProxyOutcome): outcome is { status: number; body: Json } => 'status' in outcome && outcome.status >= 200 && outcome.status < 300;
const kubeNotFound = (outcome: ProxyOutcome) => 'status' in outcome && outcome.status === 404 && isKubeStatus(outcome.body);

/**
 * Asks `cluster` who the token makes the user (SelfSubjectReview v1, then
 * v1beta1 on a 404, as `kubectl auth whoami` does) and whether they may list
 * pods in each of `namespaces` (undefined: cluster-wide), stopping at the
 * first answer that is neither.
 */
export async function probeCluster(cluster: string, post: ClusterPoster, claims: ShownClaims, namespaces: Array<string | undefined>): Promise<ClusterAccess> {
  const access: ClusterAccess = { pods: [], notes: [] };
  let review = await askWhoAmI(post, 'v1');
  if (kubeNotFound(review)) review = await askWhoAmI(post, 'v1beta1');
  if (ok(review)) {
    const userInfo = review.body.status?.userInfo ?? {};
    access.identity = { username: String(userInfo.username ?? ''), groups: userInfo.groups ?? [] };
  } else if (kubeNotFound(review)) {
    access.notes.push(olderCluster(cluster));
  } else {
    access.notes.push(explain(cluster, review, claims));
    return access;
  }
  for (const namespace of namespaces) {
    const outcome = await post(ACCESS_REVIEW, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: 'list', resource: 'pods', ...(namespace ? { namespace } : {}) } },
    });
    if (!ok(outcome)) {
      access.notes.push(explain(cluster, outcome, claims));
      break;
    }
    const { allowed, reason } = outcome.body.status ?? {};
    access.pods.push({ namespace, allowed: allowed === true, ...(reason ? { reason } : {}) });
  }
  return access;
}

/** How a cluster admin lets `username` list pods where `namespace` says, as kubelogin's setup names the binding to create. */
export function grantCommand(username: string, namespace?: string): string {
  const name = `${username.replace(/[^a-z0-9-]+/gi, '-').toLowerCase()}-view`;
  return namespace
    ? `kubectl create rolebinding ${name} --clusterrole=view --user=${username} --namespace=${namespace}`
    : `kubectl create clusterrolebinding ${name} --clusterrole=view --user=${username}`;
}
