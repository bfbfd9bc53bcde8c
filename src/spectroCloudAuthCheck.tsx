import { useEffect } from 'react';
import {
  AppRootElementBlueprint,
  appTreeApiRef,
  errorApiRef,
  useApi,
  useApiHolder,
  type ApiHolder,
  type AppTree,
} from '@backstage/frontend-plugin-api';
import { kubernetesAuthProvidersApiRef } from '@backstage/plugin-kubernetes-react';
import { isProvidedByThisModule } from './kubernetesAuthProvidersApi';
import { SpectroCloudKubernetesAuthProviders } from './SpectroCloudKubernetesAuthProviders';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';

const PACKAGE_NAME = 'backstage-plugin-kubernetes-module-spectrocloud-auth';

// The Kubernetes plugin's API extensions that provide other APIs than the
// auth providers; they are never the cause of a lost auth providers API.
const OTHER_KUBERNETES_APIS = new Set([
  'api:kubernetes',
  'api:kubernetes/proxy',
  'api:kubernetes/cluster-link-formatter',
]);

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function missingAuthApiError(): Error {
  return namedError(
    'MissingSpectroCloudAuthApiError',
    `No SpectroCloud auth API (auth.spectrocloud) is registered in this app, so the Kubernetes plugin cannot get SpectroCloud ID tokens. ` +
      `Enable the one this module ships with app-config "app.extensions: [{ api:kubernetes/spectrocloud-auth: true }]", ` +
      `or install a SpectroCloud auth frontend plugin that provides auth.spectrocloud.`,
  );
}

/** The enabled Kubernetes API extensions that are not this module's. */
function otherAuthProvidersCandidates(tree: AppTree): string[] {
  return [...tree.nodes.values()]
    .map(node => node.spec)
    .filter(
      spec =>
        spec.plugin.pluginId === 'kubernetes' &&
        spec.id.startsWith('api:') &&
        !spec.disabled &&
        !OTHER_KUBERNETES_APIS.has(spec.id) &&
        !isProvidedByThisModule(spec),
    )
    .map(spec => spec.id);
}

function authProvidersProblem(apis: ApiHolder, tree: AppTree): Error | undefined {
  let providers: unknown;
  try {
    providers = apis.get(kubernetesAuthProvidersApiRef);
  } catch (error) {
    // This module's API could not be built (a missing auth.spectrocloud is
    // reported on its own); the Kubernetes tab shows the same error.
    return apis.get(spectroCloudAuthApiRef) ? (error as Error) : undefined;
  }
  if (providers instanceof SpectroCloudKubernetesAuthProviders) {
    return undefined;
  }
  if (providers === undefined) {
    return namedError(
      'MissingKubernetesAuthProvidersError',
      `The Kubernetes plugin has no auth providers API in this app: app-config disables both ` +
        `api:kubernetes/auth-providers and api:kubernetes/spectrocloud-auth-providers. ` +
        `Remove "api:kubernetes/spectrocloud-auth-providers: false" from app.extensions.`,
    );
  }
  const candidates = otherAuthProvidersCandidates(tree);
  const source = candidates.length
    ? `It comes from ${candidates.map(id => `'${id}'`).join(' or ')}. Disable that extension in app-config ` +
      `("app.extensions: [{ ${candidates[0]}: false }]") or remove the package that adds it, so that this module's API is used.`
    : `Another module replaced it; remove that module so that this module's API is used.`;
  return namedError(
    'KubernetesAuthProvidersOverriddenError',
    `The Kubernetes plugin's auth providers API in this app is not the one from ${PACKAGE_NAME}, ` +
      `so clusters that use SpectroCloud ID tokens get none. ${source}`,
  );
}

function SpectroCloudAuthCheck() {
  const apis = useApiHolder();
  const errorApi = useApi(errorApiRef);
  const appTreeApi = useApi(appTreeApiRef);
  useEffect(() => {
    // API factories cannot declare optional dependencies, and the app keeps
    // one of several providers of an API without a word, so both problems
    // would only show up later, in the Kubernetes tab. Checking once at app
    // start names the cause and the fix.
    const problems = [
      apis.get(spectroCloudAuthApiRef) ? undefined : missingAuthApiError(),
      authProvidersProblem(apis, appTreeApi.getTree().tree),
    ];
    for (const problem of problems) {
      if (problem) errorApi.post(problem);
    }
  }, [apis, errorApi, appTreeApi]);
  return null;
}

/**
 * Reports at app start, through the error API, when `auth.spectrocloud` is
 * missing or the Kubernetes auth providers API is not this module's.
 */
export const spectroCloudAuthCheck = AppRootElementBlueprint.make({
  name: 'spectrocloud-auth-check',
  params: { element: <SpectroCloudAuthCheck /> },
});
