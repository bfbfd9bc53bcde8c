// The HTTP routes, and nothing beyond what Backstage calls: cluster-wide
// lists of the resource types the Kubernetes backend fetches for an entity,
// pod logs (through its proxy), and the reviews a user asks about themselves
// (through its proxy, with their own token). Replies are shaped as kube shapes
// them, errors as `Status` objects.
import type { UserInfo } from './authentication.ts';
import { authorize, type Binding } from './rbacAuthorization.ts';
import { kubeTime, servedKind, type KubeObject, type ResourceStore } from './resourceStore.ts';

/** A request as RBAC and the audit log see it, like kube's RequestInfo. */
export interface ResourceRequest {
  verb: 'list' | 'get' | 'create';
  /** '' is the core group */
  group: string;
  version: string;
  resource: string;
  subresource?: 'log';
  namespace?: string;
  name?: string;
}

export interface Reply {
  code: number;
  contentType: string;
  body: string;
}

const POD_LOG = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/;
const LIST = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/([^/]+)$/;
// Any authenticated user may create these (BASIC_USER).
const SELF_REVIEWS = [
  '/apis/authentication.k8s.io/v1/selfsubjectreviews',
  '/apis/authentication.k8s.io/v1beta1/selfsubjectreviews',
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
];

/** The served request `method` and `url` ask for; undefined for anything else. */
export function route(method: string | undefined, url: URL): ResourceRequest | undefined {
  if (method === 'POST' && SELF_REVIEWS.includes(url.pathname)) {
    const [, , group, version, resource] = url.pathname.split('/');
    return { verb: 'create', group, version, resource };
  }
  if (method !== 'GET') return undefined;
  const podLogPath = POD_LOG.exec(url.pathname);
  if (podLogPath) {
    const [namespace, name] = podLogPath.slice(1).map(decodeURIComponent);
    return { verb: 'get', group: '', version: 'v1', resource: 'pods', subresource: 'log', namespace, name };
  }
  const listPath = LIST.exec(url.pathname);
  if (listPath) {
    const [, coreVersion, group = '', groupVersion, resource] = listPath;
    const version = coreVersion ?? groupVersion;
    if (servedKind(group, version, resource)) return { verb: 'list', group, version, resource };
  }
  return undefined;
}

/** Answers a request that `route` accepted and RBAC allowed. */
export function answer(request: ResourceRequest, url: URL, store: ResourceStore): Reply {
  return request.subresource === 'log' ? podLog(request, url, store) : listObjects(request, url, store);
}

/**
 * Answers a self review that `route` accepted and RBAC allowed, from the
 * caller's authentication and the cluster's bindings: who they are, or whether
 * they may do what `spec.resourceAttributes` asks.
 */
export function answerReview({ group, version, resource }: ResourceRequest, body: string, user: UserInfo, bindings: Binding[]): Reply {
  const kind = resource === 'selfsubjectreviews' ? 'SelfSubjectReview' : 'SelfSubjectAccessReview';
  let review: any;
  try {
    review = JSON.parse(body);
  } catch {
    // Refused below, as kube refuses a body it cannot decode.
  }
  if (review?.kind !== kind) return statusReply(400, 'BadRequest', `the object provided is unrecognized (must be of type ${kind})`);
  const reviewed = (fields: object) => jsonReply(201, { kind, apiVersion: `${group}/${version}`, metadata: { creationTimestamp: null }, ...fields });
  if (kind === 'SelfSubjectReview') return reviewed({ status: { userInfo: { username: user.user, groups: user.groups } } });
  const attributes = review.spec?.resourceAttributes;
  if (!attributes) return statusReply(422, 'Invalid', `${kind}.authorization.k8s.io "" is invalid: spec.resourceAttributes: Required value`);
  const decision = authorize(bindings, user, { verb: '', group: '', resource: '', ...attributes });
  // kube's RBAC gives no reason for a plain deny.
  return reviewed({ spec: review.spec, status: decision.allowed ? { allowed: true, reason: decision.reason } : { allowed: false } });
}

function listObjects({ group, version, resource }: ResourceRequest, url: URL, store: ResourceStore): Reply {
  const kind = servedKind(group, version, resource)!;
  const apiVersion = group ? `${group}/${version}` : version;
  let items: KubeObject[];
  try {
    items = store.list(group, kind, url.searchParams.get('labelSelector') ?? '');
  } catch (error) {
    return statusReply(400, 'BadRequest', (error as Error).message);
  }
  return jsonReply(200, { kind: `${kind}List`, apiVersion, metadata: { resourceVersion: '1' }, items });
}

/** GET pods/<name>/log: text/plain, for the container named by `container`, or the first (the demo pods have one). */
function podLog({ namespace = '', name = '' }: ResourceRequest, url: URL, store: ResourceStore): Reply {
  const pod = store.pod(namespace, name);
  if (!pod) return statusReply(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
  const containers: string[] = pod.spec.containers.map((c: { name: string }) => c.name);
  const container = url.searchParams.get('container') ?? containers[0];
  if (!containers.includes(container)) return statusReply(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
  const start = Date.parse(pod.status.startTime);
  const at = (seconds: number) => kubeTime(new Date(start + seconds * 1000));
  const lines = [
    `${at(0)} INFO  ${container}: starting (pod ${namespace}/${name})`,
    `${at(1)} INFO  ${container}: listening on :8080`,
    ...Array.from({ length: 8 }, (_, i) => `${at(10 * (i + 1))} INFO  ${container}: GET /healthz 200 ${(i + 1) % 3}ms`),
  ];
  return { code: 200, contentType: 'text/plain', body: lines.map(line => `${line}\n`).join('') };
}

export function statusReply(code: number, reason: string, message: string, details?: Record<string, string>): Reply {
  return jsonReply(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
}

export const unauthorized = (): Reply => statusReply(401, 'Unauthorized', 'Unauthorized');

export const forbidden = (request: ResourceRequest, message: string): Reply =>
  statusReply(403, 'Forbidden', message, { ...(request.name ? { name: request.name } : {}), group: request.group, kind: request.resource });

export const notFound = (): Reply => statusReply(404, 'NotFound', 'the server could not find the requested resource', {});

function jsonReply(code: number, body: unknown): Reply {
  return { code, contentType: 'application/json', body: JSON.stringify(body) };
}
