// packages/backend/src/spectroCloudOidcAuthModule.ts
import { createBackendModule } from '@backstage/backend-plugin-api';
import { oidcAuthenticator } from '@backstage/plugin-auth-backend-module-oidc-provider';
import {
  authProvidersExtensionPoint,
  commonSignInResolvers,
  createOAuthProviderFactory,
} from '@backstage/plugin-auth-node';

// Backstage's OIDC authenticator under the provider id `spectrocloud`, which
// the Kubernetes module's SpectroCloud auth API signs in with: it verifies
// Palette's ID tokens and renews them with refresh tokens.
export default createBackendModule({
  pluginId: 'auth',
  moduleId: 'spectrocloud-oidc-provider',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        providers.registerProvider({
          providerId: 'spectrocloud',
          factory: createOAuthProviderFactory({
            authenticator: oidcAuthenticator,
            signInResolverFactories: commonSignInResolvers,
          }),
        });
      },
    });
  },
});
