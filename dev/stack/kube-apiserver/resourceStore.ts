// The objects a cluster holds: the resource types the Kubernetes backend
// lists, a read-only store of fixtures, and the demo fixtures (objects.yaml).
import fs from 'node:fs';

import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { parse } from 'yaml';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels: Record<string, string>;
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
function parseLabelSelector(selector: string): (labels: Record<string, string>) => boolean {
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

const WRITTEN_AS_OF = Date.parse('2000-01-01T00:00:00Z');
const MODELS: Record<string, new (data: any) => { validate(): void }> = { Deployment, HorizontalPodAutoscaler, Pod, ReplicaSet, Service };

/**
 * The objects of objects.yaml, labelled for `componentId`, created two days
 * ago; each is checked against its kubernetes-models class.
 */
export function demoFixtures(componentId: string): KubeObject[] {
  const shift = Math.floor((Date.now() - 2 * 24 * 3600 * 1000) / 1000) * 1000 - WRITTEN_AS_OF;
  const text = fs
    .readFileSync(new URL('objects.yaml', import.meta.url), 'utf8')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, time => kubeTime(new Date(Date.parse(time) + shift)));
  const { items } = parse(text) as { items: KubeObject[] };
  for (const object of items) {
    const Model = MODELS[object.kind];
    if (!Model) throw new Error(`objects.yaml: no kubernetes-models class for ${object.kind}`);
    new Model(object).validate();
    const labelled = object.metadata.labels['backstage.io/kubernetes-id'];
    if (labelled !== componentId) throw new Error(`objects.yaml: ${object.kind} ${object.metadata.name} is labelled for ${labelled}, not ${componentId}`);
  }
  return items;
}

/** kube timestamps have second precision. */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
