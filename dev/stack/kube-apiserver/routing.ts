// The HTTP routes, and nothing beyond what the Kubernetes backend calls:
// cluster-wide lists of the resource types it fetches for an entity, and pod
// logs (through its proxy). Replies are shaped as kube shapes them, errors as
// `Status` objects.
import { kubeTime, servedKind, type KubeObject, type ResourceStore } from './resourceStore.ts';

/** A request as RBAC and the audit log see it, like kube's RequestInfo. */
export interface ResourceRequest {
  verb: 'list' | 'get';
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

/** The served request `method` and `url` ask for; undefined for anything else. */
export function route(method: string | undefined, url: URL): ResourceRequest | undefined {
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
