import { createApiRef, type ApiRef, type BackstageIdentityApi, type OpenIdConnectApi, type ProfileInfoApi, type SessionApi } from '@backstage/frontend-plugin-api';

/**
 * The SpectroCloud (Palette) auth API: the interfaces Backstage's own
 * OIDC-based auth APIs implement.
 *
 * @public
 */
export type SpectroCloudAuthApi = OpenIdConnectApi & ProfileInfoApi & BackstageIdentityApi & SessionApi;

/**
 * Reference to the SpectroCloud auth API, id `auth.spectrocloud`. API refs are
 * matched by id, so the SpectroCloud auth frontend plugin's implementation
 * and this module's opt-in `api:kubernetes/spectrocloud-auth` both serve it.
 *
 * @public
 */
export const spectroCloudAuthApiRef: ApiRef<SpectroCloudAuthApi> = createApiRef<SpectroCloudAuthApi>().with({
  id: 'auth.spectrocloud',
});
