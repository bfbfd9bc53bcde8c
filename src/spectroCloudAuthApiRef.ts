import {
  createApiRef,
  type ApiRef,
  type BackstageIdentityApi,
  type OpenIdConnectApi,
  type ProfileInfoApi,
  type SessionApi,
} from '@backstage/frontend-plugin-api';

/**
 * The type of the SpectroCloud (Palette) auth API: the same combination of
 * interfaces that Backstage's own OIDC-based auth APIs implement.
 *
 * @public
 */
export type SpectroCloudAuthApi = OpenIdConnectApi &
  ProfileInfoApi &
  BackstageIdentityApi &
  SessionApi;

/**
 * Reference to the SpectroCloud auth API, id `auth.spectrocloud`.
 *
 * @remarks
 * API refs are matched by id, so an implementation registered by the
 * SpectroCloud auth frontend plugin, by the app, or by this module's opt-in
 * `api:kubernetes/spectrocloud-auth` extension all satisfy this reference.
 *
 * @public
 */
export const spectroCloudAuthApiRef: ApiRef<SpectroCloudAuthApi> =
  createApiRef<SpectroCloudAuthApi>().with({ id: 'auth.spectrocloud' });
