// Where RBAC is decided: whether a user may do what a request asks, from
// bindings that each stand for a ClusterRole and its ClusterRoleBinding.
import type { UserInfo } from './authentication.ts';
import type { ResourceRequest } from './routing.ts';

export interface Binding {
  /** The ClusterRoleBinding's name */
  name: string;
  /** The ClusterRole's name */
  role: string;
  subjects: { kind: 'User' | 'Group'; name: string }[];
  /** e.g. ['get', 'list'], or ['*'] */
  verbs: string[];
  /** e.g. ['pods', 'pods/log'], or ['*'] */
  resources: string[];
}

/** What RBAC decides on: a routed request, or the attributes a SelfSubjectAccessReview asks about. */
export type Attributes = Pick<ResourceRequest, 'group' | 'resource' | 'namespace' | 'name'> & { verb: string; subresource?: string };

export type Authorization = { allowed: true; reason: string } | { allowed: false; message: string };

/** kube's built-in system:basic-user binding: anyone authenticated may ask who they are and what they may do. */
export const BASIC_USER: Binding = {
  name: 'system:basic-user',
  role: 'system:basic-user',
  subjects: [{ kind: 'Group', name: 'system:authenticated' }],
  verbs: ['create'],
  resources: ['selfsubjectreviews', 'selfsubjectaccessreviews'],
};

export function authorize(bindings: Binding[], { user, groups }: UserInfo, request: Attributes): Authorization {
  const resource = resourceName(request);
  for (const binding of bindings) {
    const subject = binding.subjects.find(s => (s.kind === 'User' ? s.name === user : groups.includes(s.name)));
    if (subject && matches(binding.verbs, request.verb) && matches(binding.resources, resource)) {
      // Worded as kube's RBAC authorizer words it.
      return { allowed: true, reason: `RBAC: allowed by ClusterRoleBinding "${binding.name}" of ClusterRole "${binding.role}" to ${subject.kind} "${subject.name}"` };
    }
  }
  // Worded as kube words it.
  const subject = request.name ? `${request.resource} "${request.name}"` : request.resource;
  const scope = request.namespace ? `in the namespace "${request.namespace}"` : 'at the cluster scope';
  return {
    allowed: false,
    message: `${subject} is forbidden: User "${user}" cannot ${request.verb} resource "${resource}" in API group "${request.group}" ${scope}`,
  };
}

/** The resource as RBAC rules name it: `pods`, or `pods/log` for a subresource. */
export function resourceName(request: Attributes): string {
  return request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
}

function matches(allowed: string[], value: string) {
  return allowed.includes('*') || allowed.includes(value);
}
