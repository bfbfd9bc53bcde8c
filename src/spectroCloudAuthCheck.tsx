import { useEffect } from 'react';
import {
  AppRootElementBlueprint,
  errorApiRef,
  useApi,
  useApiHolder,
} from '@backstage/frontend-plugin-api';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';

/** The message shown when no plugin provides `auth.spectrocloud`. */
const MISSING_AUTH_API_MESSAGE =
  `No SpectroCloud auth API (auth.spectrocloud) is registered in this app, so the Kubernetes plugin cannot get SpectroCloud ID tokens. ` +
  `Enable the one this module ships with app-config "app.extensions: [{ api:kubernetes/spectrocloud-auth: true }]", ` +
  `or install a SpectroCloud auth frontend plugin that provides auth.spectrocloud.`;

function SpectroCloudAuthCheck() {
  const apis = useApiHolder();
  const errorApi = useApi(errorApiRef);
  useEffect(() => {
    // API factories cannot declare optional dependencies, so the Kubernetes
    // tab alone would only report the resolver's bare "No API factory" text.
    // Checking once at app start names the cause and the fix.
    if (!apis.get(spectroCloudAuthApiRef)) {
      const error = new Error(MISSING_AUTH_API_MESSAGE);
      error.name = 'MissingSpectroCloudAuthApiError';
      errorApi.post(error);
    }
  }, [apis, errorApi]);
  return null;
}

/**
 * Reports at app start, through the error API, when `auth.spectrocloud` is
 * missing.
 */
export const spectroCloudAuthCheck = AppRootElementBlueprint.make({
  name: 'spectrocloud-auth-check',
  params: { element: <SpectroCloudAuthCheck /> },
});
