// packages/backend/src/spectroCloudOidcAuthModule.ts
import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { oidcAuthenticator } from '@backstage/plugin-auth-backend-module-oidc-provider';
import {
  authProvidersExtensionPoint,
  commonSignInResolvers,
  createOAuthProviderFactory,
} from '@backstage/plugin-auth-node';

// Backstage's OIDC authenticator under the provider id `spectrocloud`, which
// the Kubernetes module's SpectroCloud auth API signs in with, and under the
// authProvider of each of its kubernetes.spectroCloudAuth.environments: it
// verifies each Palette's ID tokens and renews them with refresh tokens.
// The profile keeps Palette's email unless Palette says it is unverified:
// the authenticator's own keeps it only with `email_verified: true`, which a
// Palette may leave out, and a sign-in resolver then finds no one.
export default createBackendModule({
  pluginId: 'auth',
  moduleId: 'spectrocloud-oidc-provider',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint, config: coreServices.rootConfig },
      async init({ providers, config }) {
        const environments = config.getOptionalConfigArray('kubernetes.spectroCloudAuth.environments') ?? [];
        for (const providerId of ['spectrocloud', ...environments.map(e => e.getString('authProvider'))]) {
          providers.registerProvider({
            providerId,
            factory: createOAuthProviderFactory({
              authenticator: oidcAuthenticator,
              signInResolverFactories: commonSignInResolvers,
              profileTransform: async ({ fullProfile: { userinfo } }) => ({
                profile: {
                  email: userinfo.email_verified === false ? undefined : userinfo.email,
                  displayName: userinfo.name,
                  picture: userinfo.picture,
                },
              }),
            }),
          });
        }
      },
    });
  },
});
