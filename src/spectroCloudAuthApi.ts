import { OAuth2 } from '@backstage/core-app-api';
import {
  ApiBlueprint,
  configApiRef,
  discoveryApiRef,
  oauthRequestApiRef,
} from '@backstage/frontend-plugin-api';
import { SpectroCloudAuth } from './SpectroCloudAuth';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';

/** Scopes that make Palette issue an ID token with the user's email. */
const SPECTROCLOUD_DEFAULT_SCOPES = ['openid', 'profile', 'email'];

/**
 * An OAuth2 client for the backend auth provider `spectrocloud`, registered as
 * `auth.spectrocloud`, that renews before the ID token expires.
 *
 * @remarks
 * Disabled by default, so apps that already get `auth.spectrocloud` from the
 * SpectroCloud auth frontend plugin see no `API_FACTORY_CONFLICT`. Turn it on
 * in app-config:
 *
 * ```yaml
 * app:
 *   extensions:
 *     - api:kubernetes/spectrocloud-auth: true
 * ```
 */
export const spectroCloudAuthApi = ApiBlueprint.make({
  name: 'spectrocloud-auth',
  disabled: true,
  params: defineParams =>
    defineParams({
      api: spectroCloudAuthApiRef,
      deps: {
        configApi: configApiRef,
        discoveryApi: discoveryApiRef,
        oauthRequestApi: oauthRequestApiRef,
      },
      factory: ({ configApi, discoveryApi, oauthRequestApi }) =>
        new SpectroCloudAuth(() =>
          OAuth2.create({
            configApi,
            discoveryApi,
            oauthRequestApi,
            provider: { id: 'spectrocloud', title: 'SpectroCloud', icon: () => null },
            environment: configApi.getOptionalString('auth.environment'),
            defaultScopes: SPECTROCLOUD_DEFAULT_SCOPES,
          }),
        ),
    }),
});
