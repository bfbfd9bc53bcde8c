// Local stand-in for a Kubernetes API server, faithful where Backstage's
// Kubernetes backend touches one: bearer-token authentication (kube's OIDC
// authenticator semantics, or a static service-account token), RBAC-style
// authorization, read-only list/get of the object types Backstage fetches per
// entity, pod logs, kube-shaped `Status` errors, and an audit log.
//
// Plain HTTP on 127.0.0.1: Backstage's cluster entry points at
// http://127.0.0.1:<port> with skipTLSVerify. Token text is never logged,
// echoed or written; the audit log carries a sha256 fingerprint instead.

import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { appendFile } from 'node:fs/promises';
import http from 'node:http';

import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { HOST, closeServer, listen } from './loopback.mjs';

/**
 * @typedef {object} OidcOptions  mirrors kube-apiserver's --oidc-* flags
 * @property {string} issuerUrl         --oidc-issuer-url
 * @property {string} clientId          --oidc-client-id (required audience)
 * @property {string} [usernameClaim='email']  --oidc-username-claim
 * @property {string} [groupsClaim='groups']   --oidc-groups-claim
 * @property {string} [usernamePrefix]  --oidc-username-prefix; default like kube: none for `email`, `<issuer>#` otherwise; '-' disables
 * @property {string} [groupsPrefix='']  --oidc-groups-prefix
 *
 * @typedef {object} Binding  a ClusterRole+binding in one
 * @property {{kind: 'User' | 'Group', name: string}[]} subjects
 * @property {string[]} verbs           e.g. ['get', 'list', 'watch'] or ['*']
 * @property {string[]} resources       e.g. ['pods', 'pods/log'] or ['*']
 * @property {string[]} [apiGroups]     default ['*']
 * @property {string[]} [namespaces]    restrict like a RoleBinding; default: cluster-wide
 *
 * @typedef {{ user: string, groups: string[] }} UserInfo
 */

const SERVICE_ACCOUNT_USER = 'system:serviceaccount:default:backstage';
// kube's OIDC verifier (go-oidc) applies no leeway to `exp`.
const CLOCK_TOLERANCE_SECONDS = 0;

/**
 * Read-only resources served, keyed by `<group>/<version>`. Every one is
 * namespaced, so each has a cluster-wide and a per-namespace list endpoint.
 */
const RESOURCES = {
  '/v1': { pods: 'Pod', services: 'Service', configmaps: 'ConfigMap', limitranges: 'LimitRange', resourcequotas: 'ResourceQuota' },
  'apps/v1': { deployments: 'Deployment', replicasets: 'ReplicaSet', statefulsets: 'StatefulSet', daemonsets: 'DaemonSet' },
  'autoscaling/v2': { horizontalpodautoscalers: 'HorizontalPodAutoscaler' },
  'autoscaling/v1': { horizontalpodautoscalers: 'HorizontalPodAutoscaler' },
  'batch/v1': { jobs: 'Job', cronjobs: 'CronJob' },
  'networking.k8s.io/v1': { ingresses: 'Ingress' },
};
const SUBRESOURCES = { pods: ['log'] };

/**
 * Start the stand-in.
 *
 * @param {object} options
 * @param {string} options.name                 cluster name, recorded in the audit log
 * @param {number} [options.port=0]
 * @param {OidcOptions} [options.oidc]          trust ID tokens from this issuer
 * @param {string} [options.serviceAccountToken] static bearer for system:serviceaccount:default:backstage
 * @param {Binding[]} [options.bindings=[]]
 * @param {object[]} [options.fixtures=[]]      Kubernetes objects to serve (see demoFixtures)
 * @param {string} [options.auditLogPath]       JSON lines, appended; omitted → no audit file
 * @param {(line: string) => void} [options.log=console.log]
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export async function startKubeApiServer({
  name,
  port = 0,
  oidc,
  serviceAccountToken,
  bindings = [],
  fixtures = [],
  auditLogPath,
  log = console.log,
}) {
  const authenticate = createAuthenticator({ oidc, serviceAccountToken });
  const store = createObjectStore(fixtures);
  let actualPort = 0;

  const server = http.createServer((req, res) => {
    serve(req, res).catch((err) => {
      log(`kube[${name}]: internal error on ${req.method} ${redactPath(req.url)}: ${err.message}`);
      if (!res.headersSent) sendStatus(res, 500, 'InternalError', 'an internal error occurred');
      else res.end();
    });
  });

  async function serve(req, res) {
    const auditID = randomUUID();
    res.setHeader('Audit-Id', auditID);
    const url = new URL(req.url, `http://${HOST}`);
    const info = parseRequestInfo(req.method, url);
    const token = bearerToken(req.headers.authorization);
    const auth = await authenticate(token);

    const reply = auth.error
      ? unauthorized()
      : handleAuthenticated({ info, url, userInfo: auth, bindings, store, port: actualPort });

    await writeAudit(auditLogPath, {
      time: new Date().toISOString(),
      auditID,
      cluster: name,
      user: auth.user ?? null,
      groups: auth.groups ?? null,
      verb: info.verb,
      resource: info.isResourceRequest ? resourceWithSub(info) : null,
      namespace: info.namespace ?? null,
      name: info.name ?? null,
      path: redactPath(req.url),
      code: reply.code,
      ...(auth.error ? { authError: auth.error } : {}),
      ...tokenFacts(token),
    });
    log(`kube[${name}]: ${req.method} ${redactPath(req.url)} → ${reply.code} (${auth.user ?? `unauthenticated: ${auth.error}`})`);
    send(res, reply);
  }

  actualPort = await listen(server, port);
  return {
    url: `http://${HOST}:${actualPort}`,
    port: actualPort,
    close: () => closeServer(server),
  };
}

// ---------------------------------------------------------------------------
// Authentication

/**
 * Returns `token => Promise<UserInfo | { error }>`, trying the service-account
 * token first and then the OIDC authenticator, like kube's union authenticator.
 */
function createAuthenticator({ oidc, serviceAccountToken }) {
  const verifyOidc = oidc ? createOidcAuthenticator(oidc) : undefined;

  return async (token) => {
    if (!token) return { error: 'no bearer token' };
    if (serviceAccountToken && constantTimeEquals(token, serviceAccountToken)) {
      // Groups as kube assigns them to a service account.
      return {
        user: SERVICE_ACCOUNT_USER,
        groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
      };
    }
    if (!verifyOidc) return { error: 'token not recognised' };
    try {
      return await verifyOidc(token);
    } catch (err) {
      // jose/our messages describe the failed check, never the token.
      return { error: err.message };
    }
  };
}

/**
 * kube-apiserver's OIDC authenticator: discovery + JWKS from the issuer,
 * RS256 signature, exact `iss`, `aud` containing the client id, unexpired,
 * username from the configured claim (with the email_verified rule), groups.
 *
 * @param {OidcOptions} oidc
 */
function createOidcAuthenticator({
  issuerUrl,
  clientId,
  usernameClaim = 'email',
  groupsClaim = 'groups',
  usernamePrefix,
  groupsPrefix = '',
}) {
  const prefix = usernamePrefix === '-' ? '' : usernamePrefix ?? (usernameClaim === 'email' ? '' : `${issuerUrl}#`);
  let keySet;

  // Discovery happens on first use and is retried after a failure, so the
  // stand-in can start before the issuer does (kube retries in the background).
  async function jwks() {
    keySet ??= discoverKeySet(issuerUrl).catch((err) => {
      keySet = undefined;
      throw err;
    });
    return keySet;
  }

  return async (token) => {
    // kube only hands a token to the authenticator whose issuer it names.
    let unverified;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new Error('not a JWT');
    }
    if (unverified.iss !== issuerUrl) throw new Error('token issued by an untrusted issuer');

    const { payload } = await jwtVerify(token, await jwks(), {
      algorithms: ['RS256'],
      issuer: issuerUrl,
      audience: clientId,
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });

    const username = payload[usernameClaim];
    if (typeof username !== 'string' || username === '') {
      throw new Error(`claim "${usernameClaim}" missing or not a string`);
    }
    if (usernameClaim === 'email' && 'email_verified' in payload && payload.email_verified !== true) {
      // kube: if email_verified is present it must be true (absence is accepted).
      throw new Error('email not verified');
    }

    return {
      user: prefix + username,
      groups: [...groupsFrom(payload[groupsClaim]).map((g) => groupsPrefix + g), 'system:authenticated'],
    };
  };
}

async function discoverKeySet(issuerUrl) {
  const res = await fetch(`${issuerUrl.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`issuer discovery failed with HTTP ${res.status}`);
  const discovery = await res.json();
  if (discovery.issuer !== issuerUrl) {
    throw new Error(`issuer discovery names "${discovery.issuer}", expected "${issuerUrl}"`);
  }
  return createRemoteJWKSet(new URL(discovery.jwks_uri));
}

/** kube accepts the groups claim as a string or an array of strings. */
function groupsFrom(claim) {
  if (claim === undefined) return [];
  if (typeof claim === 'string') return [claim];
  if (Array.isArray(claim) && claim.every((g) => typeof g === 'string')) return claim;
  throw new Error('groups claim is neither a string nor an array of strings');
}

function bearerToken(header) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function constantTimeEquals(a, b) {
  // Hash first so lengths match and the comparison leaks nothing.
  return timingSafeEqual(sha256(a), sha256(b));
}

/** How the audit log names a token without holding it. */
export function tokenFingerprint(token) {
  return sha256(token).toString('hex').slice(0, 16);
}

/** The audit log's lines, parsed; none while nothing has been written. */
export function readAuditLog(auditLogPath) {
  if (!fs.existsSync(auditLogPath)) return [];
  return fs.readFileSync(auditLogPath, 'utf8').split('\n').filter(Boolean).map(line => JSON.parse(line));
}

/** What the audit log may say about a token: unverified header/claims and a fingerprint. */
function tokenFacts(token) {
  const facts = { tokenIssuer: null, tokenAlg: null, tokenAudience: null, tokenFingerprint: null };
  if (!token) return facts;
  facts.tokenFingerprint = tokenFingerprint(token);
  try {
    facts.tokenAlg = decodeProtectedHeader(token).alg ?? null;
    const claims = decodeJwt(token);
    facts.tokenIssuer = claims.iss ?? null;
    facts.tokenAudience = claims.aud ?? null;
  } catch {
    // Not a JWT (garbage, or an opaque service-account token).
  }
  return facts;
}

// ---------------------------------------------------------------------------
// Request routing (kube's RequestInfo) and authorization

/**
 * Split a request like kube's RequestInfoFactory: resource requests under
 * /api/<v> and /apis/<g>/<v>, everything else is a non-resource path.
 */
function parseRequestInfo(method, url) {
  const parts = url.pathname.split('/').filter(Boolean).map(safeDecode);
  let group;
  let version;
  let rest;
  if (parts[0] === 'api' && parts.length >= 3) {
    [group, version, rest] = ['', parts[1], parts.slice(2)];
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
  } else {
    return { isResourceRequest: false, path: url.pathname, verb: method.toLowerCase() };
  }

  let namespace;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  const extra = rest.length > 3;
  return { isResourceRequest: true, group, version, namespace, resource, name, subresource, extra, verb: verbFor(method, name, url) };
}

function verbFor(method, name, url) {
  switch (method) {
    case 'GET':
    case 'HEAD': {
      const watch = url.searchParams.get('watch');
      if (watch === 'true' || watch === '1') return 'watch';
      return name ? 'get' : 'list';
    }
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return name ? 'delete' : 'deletecollection';
    default: return method.toLowerCase();
  }
}

/** @param {Binding[]} bindings @param {UserInfo} userInfo */
function isAllowed(bindings, userInfo, info) {
  const resource = resourceWithSub(info);
  return bindings.some((b) => (
    b.subjects.some((s) => (s.kind === 'User' ? s.name === userInfo.user : s.kind === 'Group' && userInfo.groups.includes(s.name)))
    && matches(b.verbs, info.verb)
    && matches(b.resources, resource)
    && matches(b.apiGroups ?? ['*'], info.group)
    // A namespace-restricted binding never grants cluster-scope requests.
    && (!b.namespaces || (info.namespace !== undefined && b.namespaces.includes(info.namespace)))
  ));
}

function matches(allowed, value) {
  return allowed.includes('*') || allowed.includes(value);
}

function resourceWithSub(info) {
  return info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
}

function forbiddenMessage(user, info) {
  const subject = info.name ? `${info.resource} "${info.name}"` : info.resource;
  const scope = info.namespace !== undefined ? `in the namespace "${info.namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: User "${user}" cannot ${info.verb} resource "${resourceWithSub(info)}" in API group "${info.group}" ${scope}`;
}

// ---------------------------------------------------------------------------
// Handlers. Each returns a reply { code, body, contentType? } for `send`.

function handleAuthenticated({ info, url, userInfo, bindings, store, port }) {
  if (!info.isResourceRequest) {
    // Default RBAC lets every authenticated user read discovery and health.
    return info.verb === 'get' || info.verb === 'head'
      ? nonResource(info.path, port)
      : statusReply(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }

  if (!isAllowed(bindings, userInfo, info)) {
    return statusReply(403, 'Forbidden', forbiddenMessage(userInfo.user, info), {
      ...(info.name ? { name: info.name } : {}),
      group: info.group,
      kind: info.resource,
    });
  }

  const kind = RESOURCES[`${info.group}/${info.version}`]?.[info.resource];
  const subresourceKnown = !info.subresource || (SUBRESOURCES[info.resource] ?? []).includes(info.subresource);
  if (!kind || !subresourceKnown || info.extra) return notFound();

  if (info.verb === 'watch') {
    return statusReply(405, 'MethodNotAllowed', 'watch is not supported by this Kubernetes API stand-in');
  }
  if (info.verb === 'list') return listObjects(store, info, kind, url);
  if (info.verb === 'get' && info.subresource === 'log') return podLog(store, info, url);
  if (info.verb === 'get') return getObject(store, info, kind);
  // Read-only: the stand-in never changes its fixtures.
  return statusReply(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

function listObjects(store, info, kind, url) {
  let selector;
  try {
    selector = parseLabelSelector(url.searchParams.get('labelSelector') ?? '');
  } catch (err) {
    return statusReply(400, 'BadRequest', err.message);
  }
  const apiVersion = apiVersionOf(info);
  const items = store
    .all(info.group, kind)
    .filter((o) => info.namespace === undefined || o.metadata?.namespace === info.namespace)
    .filter((o) => selector(o.metadata?.labels ?? {}))
    .map((o) => ({ ...o, apiVersion }));
  // Like kube, list items omit kind/apiVersion only in protobuf; JSON keeps them.
  return jsonReply(200, { kind: `${kind}List`, apiVersion, metadata: { resourceVersion: '1' }, items });
}

function getObject(store, info, kind) {
  const object = store.find(info.group, kind, info.namespace, info.name);
  if (!object) return notFoundObject(info);
  return jsonReply(200, { ...object, apiVersion: apiVersionOf(info) });
}

/** GET pods/<name>/log: text/plain, honouring `container` and `tailLines`. */
function podLog(store, info, url) {
  const pod = store.find('', 'Pod', info.namespace, info.name);
  if (!pod) return notFoundObject(info);
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const container = url.searchParams.get('container') ?? (containers.length === 1 ? containers[0] : undefined);
  if (!container) {
    return statusReply(400, 'BadRequest', `a container name must be specified for pod ${info.name}, choose one of: [${containers.join(' ')}]`);
  }
  if (!containers.includes(container)) {
    return statusReply(400, 'BadRequest', `container ${container} is not valid for pod ${info.name}`);
  }
  let lines = syntheticLogLines(pod, container);
  const tail = Number.parseInt(url.searchParams.get('tailLines') ?? '', 10);
  if (Number.isInteger(tail) && tail >= 0) lines = tail === 0 ? [] : lines.slice(-tail);
  return { code: 200, contentType: 'text/plain', body: lines.map((l) => `${l}\n`).join('') };
}

function syntheticLogLines(pod, container) {
  const start = Date.parse(pod.status?.startTime ?? pod.metadata?.creationTimestamp ?? '2024-01-01T00:00:00Z');
  const at = (seconds) => kubeTime(new Date(start + seconds * 1000));
  const lines = [
    `${at(0)} INFO  ${container}: starting (pod ${pod.metadata.namespace}/${pod.metadata.name})`,
    `${at(1)} INFO  ${container}: listening on :8080`,
  ];
  for (let i = 1; i <= 8; i += 1) {
    lines.push(`${at(10 * i)} INFO  ${container}: GET /healthz 200 ${i % 3}ms`);
  }
  return lines;
}

function nonResource(path, port) {
  switch (path.replace(/\/$/, '') || '/') {
    case '/version':
      return jsonReply(200, {
        major: '1', minor: '31', gitVersion: 'v1.31.0-standin', gitCommit: '', gitTreeState: 'clean',
        buildDate: '2024-08-13T00:00:00Z', goVersion: 'go1.22.5', compiler: 'gc', platform: 'linux/amd64',
      });
    case '/api':
      return jsonReply(200, {
        kind: 'APIVersions', versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${HOST}:${port}` }],
      });
    case '/apis':
      return jsonReply(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups() });
    case '/healthz':
    case '/livez':
    case '/readyz':
      return { code: 200, contentType: 'text/plain', body: 'ok' };
    default: {
      const resourceList = apiResourceList(path);
      return resourceList ? jsonReply(200, resourceList) : notFound();
    }
  }
}

function apiGroups() {
  const byGroup = new Map();
  for (const gv of Object.keys(RESOURCES)) {
    const [group, version] = gv.split('/');
    if (!group) continue;
    if (!byGroup.has(group)) byGroup.set(group, []);
    byGroup.get(group).push({ groupVersion: gv, version });
  }
  return [...byGroup].map(([name, versions]) => ({ name, versions, preferredVersion: versions[0] }));
}

/** /api/v1 and /apis/<group>/<version>: which resources exist there. */
function apiResourceList(path) {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path.replace(/\/$/, ''));
  if (!m) return undefined;
  const groupVersion = m[1] ? 'v1' : `${m[2]}/${m[3]}`;
  const resources = RESOURCES[m[1] ? '/v1' : groupVersion];
  if (!resources) return undefined;
  const readVerbs = ['get', 'list'];
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: Object.entries(resources).flatMap(([plural, kind]) => [
      { name: plural, singularName: kind.toLowerCase(), namespaced: true, kind, verbs: readVerbs },
      ...(SUBRESOURCES[plural] ?? []).map((sub) => ({ name: `${plural}/${sub}`, singularName: '', namespaced: true, kind, verbs: ['get'] })),
    ]),
  };
}

function apiVersionOf(info) {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

// ---------------------------------------------------------------------------
// Fixtures and label selectors

/**
 * Index fixtures by API group and kind. The version in a fixture's apiVersion
 * is ignored, so one HPA answers both autoscaling/v1 and /v2 (kube converts).
 */
function createObjectStore(fixtures) {
  const groupOf = (apiVersion = '') => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
  const all = (group, kind) => fixtures.filter((o) => o.kind === kind && groupOf(o.apiVersion) === group);
  return {
    all,
    find: (group, kind, namespace, name) => all(group, kind)
      .find((o) => o.metadata?.name === name && o.metadata?.namespace === namespace),
  };
}

/**
 * Equality-based selectors, comma-separated ANDs: `k=v`, `k==v`, `k!=v`,
 * `k` (exists) and `!k` (absent). Set-based (`in`, `notin`) is not supported.
 *
 * @returns {(labels: Record<string, string>) => boolean}
 */
export function parseLabelSelector(selector) {
  const requirements = selector
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseRequirement);
  return (labels) => requirements.every((matchesRequirement) => matchesRequirement(labels));
}

function parseRequirement(text) {
  const key = '[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?';
  const value = '([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?';
  let m = new RegExp(`^(${key})\\s*(==|=|!=)\\s*(${value})$`).exec(text);
  if (m) {
    const [, k, , op, v] = m;
    return op === '!=' ? (labels) => labels[k] !== v : (labels) => labels[k] === v;
  }
  m = new RegExp(`^(!?)\\s*(${key})$`).exec(text);
  if (m) {
    const [, not, k] = m;
    return not ? (labels) => !(k in labels) : (labels) => k in labels;
  }
  throw new Error(`unable to parse requirement: ${JSON.stringify(text)} (this stand-in supports key=value, key!=value, key and !key)`);
}

/**
 * Objects for one Backstage component, as the Kubernetes UI expects them:
 * Deployment (2 replicas) → ReplicaSet → 2 running Pods, plus a Service and an
 * HPA, all in namespace `demo` and labelled `backstage.io/kubernetes-id`.
 * UIDs are derived from the component id so repeated runs look the same.
 *
 * @param {string} componentId
 * @returns {object[]}
 */
export function demoFixtures(componentId) {
  const ns = 'demo';
  const app = componentId.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40);
  const created = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  const started = new Date(created.getTime() + 15 * 1000);
  const labels = { app, 'backstage.io/kubernetes-id': componentId };
  const image = 'ghcr.io/example/demo-web:1.4.2';
  const hash = stableId(componentId, 'pod-template-hash').replace(/-/g, '').slice(0, 10);
  const meta = (kind, name, extra = {}) => ({
    name, namespace: ns, uid: stableId(componentId, kind, name), resourceVersion: '1',
    creationTimestamp: kubeTime(created), labels, ...extra,
  });
  const ownerRef = (obj) => [{ apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, uid: obj.metadata.uid, controller: true, blockOwnerDeletion: true }];
  const container = {
    name: 'web', image, ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '250m', memory: '128Mi' } },
    readinessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 10 },
  };

  const deployment = {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: meta('Deployment', app, { generation: 1, annotations: { 'deployment.kubernetes.io/revision': '1' } }),
    spec: {
      replicas: 2,
      selector: { matchLabels: { app } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels }, spec: { containers: [container] } },
    },
    status: {
      observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2,
      conditions: [
        condition('Available', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', started),
        condition('Progressing', 'NewReplicaSetAvailable', `ReplicaSet "${app}-${hash}" has successfully progressed.`, created),
      ],
    },
  };

  const rsLabels = { ...labels, 'pod-template-hash': hash };
  const replicaSet = {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: {
      ...meta('ReplicaSet', `${app}-${hash}`, { generation: 1 }),
      labels: rsLabels,
      annotations: { 'deployment.kubernetes.io/desired-replicas': '2', 'deployment.kubernetes.io/max-replicas': '3', 'deployment.kubernetes.io/revision': '1' },
      ownerReferences: ownerRef(deployment),
    },
    spec: { replicas: 2, selector: { matchLabels: { app, 'pod-template-hash': hash } }, template: { metadata: { labels: rsLabels }, spec: { containers: [container] } } },
    status: { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 },
  };

  const pods = ['x7k2p', 'm4q9z'].map((suffix, i) => {
    const name = `${replicaSet.metadata.name}-${suffix}`;
    const podIP = `10.244.0.${11 + i}`;
    return {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { ...meta('Pod', name), labels: rsLabels, generateName: `${replicaSet.metadata.name}-`, ownerReferences: ownerRef(replicaSet) },
      spec: { containers: [container], nodeName: 'standin-node-1', restartPolicy: 'Always', serviceAccountName: 'default', dnsPolicy: 'ClusterFirst' },
      status: {
        phase: 'Running', qosClass: 'Burstable', hostIP: '172.18.0.2', hostIPs: [{ ip: '172.18.0.2' }], podIP, podIPs: [{ ip: podIP }],
        startTime: kubeTime(created),
        conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']
          .map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: kubeTime(started) })),
        containerStatuses: [{
          name: 'web', image, imageID: `${image.split(':')[0]}@sha256:${createHash('sha256').update(image).digest('hex')}`,
          containerID: `containerd://${createHash('sha256').update(name).digest('hex')}`,
          ready: true, started: true, restartCount: 0, state: { running: { startedAt: kubeTime(started) } }, lastState: {},
        }],
      },
    };
  });

  const service = {
    apiVersion: 'v1', kind: 'Service',
    metadata: meta('Service', app),
    spec: {
      type: 'ClusterIP', clusterIP: '10.96.120.15', clusterIPs: ['10.96.120.15'], selector: { app },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], sessionAffinity: 'None',
      ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  };

  const hpa = {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
    metadata: meta('HorizontalPodAutoscaler', app),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app },
      minReplicas: 2, maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
    },
    status: {
      currentReplicas: 2, desiredReplicas: 2,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 12, averageValue: '6m' } } }],
      conditions: [
        condition('AbleToScale', 'ReadyForNewScale', 'recommended size matches current size', started),
        condition('ScalingActive', 'ValidMetricFound', 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)', started),
      ],
    },
  };

  return [deployment, replicaSet, ...pods, service, hpa];
}

function condition(type, reason, message, at) {
  return { type, status: 'True', reason, message, lastTransitionTime: kubeTime(at), lastUpdateTime: kubeTime(at) };
}

/** RFC 4122-shaped id derived from its inputs. */
function stableId(...parts) {
  const h = createHash('sha256').update(parts.join('\0')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** kube timestamps have second precision. */
function kubeTime(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---------------------------------------------------------------------------
// Replies, audit, plumbing

function statusReply(code, reason, message, details) {
  return jsonReply(code, {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason,
    ...(details ? { details } : {}), code,
  });
}

function unauthorized() {
  return statusReply(401, 'Unauthorized', 'Unauthorized');
}

function notFound() {
  return statusReply(404, 'NotFound', 'the server could not find the requested resource', {});
}

function notFoundObject(info) {
  return statusReply(404, 'NotFound', `${info.resource} "${info.name}" not found`, { name: info.name, kind: info.resource });
}

function jsonReply(code, body) {
  return { code, contentType: 'application/json', body: JSON.stringify(body) };
}

function send(res, { code, contentType, body }) {
  res.writeHead(code, { 'content-type': contentType, 'cache-control': 'no-cache, private' });
  res.end(body);
}

async function writeAudit(path, record) {
  if (!path) return;
  // Written before the response goes out, so readers see it once they have one.
  await appendFile(path, `${JSON.stringify(record)}\n`);
}

/** Request path for logs: query values that could carry credentials are dropped. */
function redactPath(rawUrl = '/') {
  const url = new URL(rawUrl, `http://${HOST}`);
  for (const [key, value] of [...url.searchParams]) {
    if (/token|auth|secret|password|key|code|jwt|assertion/i.test(key) || /^eyJ/.test(value)) {
      url.searchParams.set(key, '[redacted]');
    }
  }
  return url.pathname + url.search;
}

function sha256(text) {
  return createHash('sha256').update(text).digest();
}

function safeDecode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}


