import ReactDOM from 'react-dom/client';
import { createApp } from '@backstage/frontend-defaults';
import { PageBlueprint, createFrontendModule } from '@backstage/frontend-plugin-api';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import kubernetesModuleSpectroCloudAuth from '../src';

const tokenCheckPage = PageBlueprint.make({
  params: {
    path: '/',
    title: 'SpectroCloud token check',
    loader: () => import('./TokenCheckPage').then(m => <m.TokenCheckPage />),
  },
});

const app = createApp({
  features: [
    kubernetesPlugin,
    kubernetesModuleSpectroCloudAuth,
    createFrontendModule({ pluginId: 'app', extensions: [tokenCheckPage] }),
  ],
});

ReactDOM.createRoot(document.getElementById('root')!).render(app.createRoot());
