// The development app stands in for an app package, which loads the UI styles.
// eslint-disable-next-line @backstage/no-ui-css-imports-in-non-frontend
import '@backstage/ui/css/styles.css';
// Only the development app renders itself; the module does not use react-dom,
// so it is no peer dependency of the package.
// eslint-disable-next-line @backstage/no-undeclared-imports
import ReactDOM from 'react-dom/client';
import { SignInPage } from '@backstage/core-components';
import { createApp } from '@backstage/frontend-defaults';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
// The settings page of a create-app app, at /settings: its profile card's menu
// ("more") holds the Sign Out action people use.
import userSettingsPlugin from '@backstage/plugin-user-settings/alpha';
import kubernetesModuleSpectroCloudAuth, { spectroCloudAuthApiRef } from '../src';

const signInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => props => (
      <SignInPage
        {...props}
        providers={[
          {
            id: 'spectrocloud-auth-provider',
            title: 'SpectroCloud',
            message: 'Sign in with SpectroCloud (Palette)',
            apiRef: spectroCloudAuthApiRef,
          },
          'guest',
        ]}
      />
    ),
  },
});

const app = createApp({
  features: [
    catalogPlugin,
    kubernetesPlugin,
    userSettingsPlugin,
    kubernetesModuleSpectroCloudAuth,
    createFrontendModule({ pluginId: 'app', extensions: [signInPage] }),
  ],
});

ReactDOM.createRoot(document.getElementById('root')!).render(app.createRoot());
