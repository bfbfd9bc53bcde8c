// Where RBAC is decided: whether a user may do what a request asks, from
// bindings that each stand for a ClusterRole and its ClusterRoleBinding.
import type { UserInfo } from './authentication.ts';
import type { ResourceRequest } from './routing.ts';

export interface Binding {
  subjects: { kind: 'User' | 'Group'; name: string }[];
  /** e.g. ['get', 'list'], or ['*'] */
  verbs: string[];
  /** e.g. ['pods', 'pods/log'], or ['*'] */
  resources: string[];
}

export type Authorization = { allowed: true } | { allowed: false; message: string };

export function authorize(bindings: Binding[], { user, groups }: UserInfo, request: ResourceRequest): Authorization {
  const resource = resourceName(request);
  const allowed = bindings.some(
    binding =>
      binding.subjects.some(subject => (subject.kind === 'User' ? subject.name === user : groups.includes(subject.name))) &&
      matches(binding.verbs, request.verb) &&
      matches(binding.resources, resource),
  );
  if (allowed) return { allowed: true };
  // Worded as kube words it.
  const subject = request.name ? `${request.resource} "${request.name}"` : request.resource;
  const scope = request.namespace ? `in the namespace "${request.namespace}"` : 'at the cluster scope';
  return {
    allowed: false,
    message: `${subject} is forbidden: User "${user}" cannot ${request.verb} resource "${resource}" in API group "${request.group}" ${scope}`,
  };
}

/** The resource as RBAC rules name it: `pods`, or `pods/log` for a subresource. */
export function resourceName(request: ResourceRequest): string {
  return request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
}

function matches(allowed: string[], value: string) {
  return allowed.includes('*') || allowed.includes(value);
}
