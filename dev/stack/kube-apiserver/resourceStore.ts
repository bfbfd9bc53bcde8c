// The objects a cluster holds: the resource types the Kubernetes backend
// lists, a read-only store of fixtures, and the demo fixtures themselves.
import { createHash } from 'node:crypto';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels: Record<string, string>;
    ownerReferences?: { uid: string }[];
    [field: string]: unknown;
  };
  spec?: any;
  status?: any;
}

/**
 * The types the Kubernetes backend lists for an entity (its default object
 * types), by `<group>/<version>` ('' is the core group) and plural.
 */
const SERVED_KINDS: Record<string, Record<string, string>> = {
  '/v1': { pods: 'Pod', services: 'Service', configmaps: 'ConfigMap', limitranges: 'LimitRange', resourcequotas: 'ResourceQuota' },
  'apps/v1': { deployments: 'Deployment', replicasets: 'ReplicaSet', statefulsets: 'StatefulSet', daemonsets: 'DaemonSet' },
  'autoscaling/v2': { horizontalpodautoscalers: 'HorizontalPodAutoscaler' },
  'batch/v1': { jobs: 'Job', cronjobs: 'CronJob' },
  'networking.k8s.io/v1': { ingresses: 'Ingress' },
};

/** The kind served at `/apis/<group>/<version>/<resource>`, if any. */
export function servedKind(group: string, version: string, resource: string): string | undefined {
  return SERVED_KINDS[`${group}/${version}`]?.[resource];
}

export interface ResourceStore {
  /** Every object of `kind` in `group` whose labels match the selector. */
  list(group: string, kind: string, labelSelector: string): KubeObject[];
  pod(namespace: string, name: string): KubeObject | undefined;
}

export function createResourceStore(fixtures: KubeObject[]): ResourceStore {
  const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
  return {
    list(group, kind, labelSelector) {
      const selected = parseLabelSelector(labelSelector);
      return fixtures.filter(object => object.kind === kind && groupOf(object.apiVersion) === group && selected(object.metadata.labels));
    },
    pod(namespace, name) {
      return fixtures.find(object => object.kind === 'Pod' && object.metadata.namespace === namespace && object.metadata.name === name);
    },
  };
}

/**
 * `key=value` requirements joined by commas, all of which must hold: the form
 * of the backend's `backstage.io/kubernetes-id=<id>` selector. Anything else
 * is rejected, as kube rejects what it cannot parse.
 */
export function parseLabelSelector(selector: string): (labels: Record<string, string>) => boolean {
  const requirements = selector
    .split(',')
    .map(text => text.trim())
    .filter(Boolean)
    .map(text => {
      const match = /^([A-Za-z0-9][-A-Za-z0-9_./]*)\s*={1,2}\s*([-A-Za-z0-9_.]*)$/.exec(text);
      if (!match) throw new Error(`unable to parse requirement: ${JSON.stringify(text)} (this stand-in supports key=value only)`);
      return { key: match[1], value: match[2] };
    });
  return labels => requirements.every(({ key, value }) => labels[key] === value);
}

/**
 * Objects for one Backstage component, as the Kubernetes UI expects them:
 * Deployment (2 replicas) → ReplicaSet → 2 running Pods, plus a Service and an
 * HPA, all in namespace `demo` and labelled `backstage.io/kubernetes-id`.
 * UIDs are derived from the component id so repeated runs look the same.
 */
export function demoFixtures(componentId: string): KubeObject[] {
  const namespace = 'demo';
  const app = componentId.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40);
  const created = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  const started = new Date(created.getTime() + 15 * 1000);
  const labels = { app, 'backstage.io/kubernetes-id': componentId };
  const image = 'ghcr.io/example/demo-web:1.4.2';
  const hash = stableId(componentId, 'pod-template-hash').replace(/-/g, '').slice(0, 10);
  const meta = (kind: string, name: string, extra: Record<string, unknown> = {}) => ({
    name,
    namespace,
    uid: stableId(componentId, kind, name),
    resourceVersion: '1',
    creationTimestamp: kubeTime(created),
    labels,
    ...extra,
  });
  const ownerRef = (owner: KubeObject) => [
    { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true },
  ];
  const container = {
    name: 'web',
    image,
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '250m', memory: '128Mi' } },
    readinessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 10 },
  };

  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('Deployment', app, { generation: 1, annotations: { 'deployment.kubernetes.io/revision': '1' } }),
    spec: {
      replicas: 2,
      selector: { matchLabels: { app } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels }, spec: { containers: [container] } },
    },
    status: {
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      conditions: [
        condition('Available', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', started),
        condition('Progressing', 'NewReplicaSetAvailable', `ReplicaSet "${app}-${hash}" has successfully progressed.`, created),
      ],
    },
  };

  const replicaSetLabels = { ...labels, 'pod-template-hash': hash };
  const replicaSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      ...meta('ReplicaSet', `${app}-${hash}`, { generation: 1 }),
      labels: replicaSetLabels,
      annotations: {
        'deployment.kubernetes.io/desired-replicas': '2',
        'deployment.kubernetes.io/max-replicas': '3',
        'deployment.kubernetes.io/revision': '1',
      },
      ownerReferences: ownerRef(deployment),
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app, 'pod-template-hash': hash } },
      template: { metadata: { labels: replicaSetLabels }, spec: { containers: [container] } },
    },
    status: { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 },
  };

  const pods = ['x7k2p', 'm4q9z'].map((suffix, i): KubeObject => {
    const name = `${replicaSet.metadata.name}-${suffix}`;
    const podIP = `10.244.0.${11 + i}`;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...meta('Pod', name),
        labels: replicaSetLabels,
        generateName: `${replicaSet.metadata.name}-`,
        ownerReferences: ownerRef(replicaSet),
      },
      spec: { containers: [container], nodeName: 'standin-node-1', restartPolicy: 'Always', serviceAccountName: 'default', dnsPolicy: 'ClusterFirst' },
      status: {
        phase: 'Running',
        qosClass: 'Burstable',
        hostIP: '172.18.0.2',
        hostIPs: [{ ip: '172.18.0.2' }],
        podIP,
        podIPs: [{ ip: podIP }],
        startTime: kubeTime(created),
        conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(type => ({
          type,
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: kubeTime(started),
        })),
        containerStatuses: [
          {
            name: 'web',
            image,
            imageID: `${image.split(':')[0]}@sha256:${createHash('sha256').update(image).digest('hex')}`,
            containerID: `containerd://${createHash('sha256').update(name).digest('hex')}`,
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: kubeTime(started) } },
            lastState: {},
          },
        ],
      },
    };
  });

  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('Service', app),
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.120.15',
      clusterIPs: ['10.96.120.15'],
      selector: { app },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  };

  const hpa: KubeObject = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta('HorizontalPodAutoscaler', app),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
    },
    status: {
      currentReplicas: 2,
      desiredReplicas: 2,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 12, averageValue: '6m' } } }],
      conditions: [
        condition('AbleToScale', 'ReadyForNewScale', 'recommended size matches current size', started),
        condition(
          'ScalingActive',
          'ValidMetricFound',
          'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
          started,
        ),
      ],
    },
  };

  return [deployment, replicaSet, ...pods, service, hpa];
}

function condition(type: string, reason: string, message: string, at: Date) {
  return { type, status: 'True', reason, message, lastTransitionTime: kubeTime(at), lastUpdateTime: kubeTime(at) };
}

/** RFC 4122-shaped id derived from its inputs. */
function stableId(...parts: string[]) {
  const h = createHash('sha256').update(parts.join('\0')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** kube timestamps have second precision. */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
