// npm start: runs the development environment until Ctrl-C, which stops every
// piece and removes its temporary directory (KEEP_TEMP=1 keeps it).
import fs from 'node:fs';

import { CATALOG_CLUSTER, COMPONENT, DEFAULT_APP_PORT, DEFAULT_BACKEND_PORT, DEMO_USERS, SECOND_ENVIRONMENT, SECOND_ENVIRONMENT_CLUSTER, TENANT_IDP_CLUSTER } from '../lib/demo.ts';
import { LOCAL_CONFIG_PATH, authBackendFrom, paletteVariantFrom, startStack } from './stack.ts';

const startedAt = Date.now();
const real = fs.existsSync(LOCAL_CONFIG_PATH);
try {
  const authBackend = authBackendFrom(process.env.SPECTROCLOUD_AUTH_BACKEND, real);
  const stack = await startStack({
    appPort: Number(process.env.APP_PORT ?? DEFAULT_APP_PORT),
    backendPort: Number(process.env.BACKEND_PORT ?? DEFAULT_BACKEND_PORT),
    idTokenTtlSeconds: Number(process.env.ID_TOKEN_TTL_SECONDS ?? 3600),
    authBackend,
    stockKubernetesBackend: process.env.SPECTROCLOUD_KUBERNETES_BACKEND === 'stock',
    secondEnvironment: process.env.SPECTROCLOUD_ENVIRONMENTS === '2',
    paletteRefreshToken: process.env.PALETTE_REFRESH_TOKEN === '1',
    paletteVariant: paletteVariantFrom(process.env),
    catalogCluster: ['1', 'allowed'].includes(process.env.SPECTROCLOUD_CATALOG_CLUSTER ?? ''),
    allowCatalogCluster: process.env.SPECTROCLOUD_CATALOG_CLUSTER === 'allowed',
    real,
    log: console.log,
  });
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  console.log(`\nReady in ${seconds} s. Open ${stack.appUrl}/catalog/default/component/${COMPONENT}/kubernetes`);
  console.log(`Who each user is on each cluster, and why a 401 or 403: ${stack.appUrl}/kubernetes-access`);
  if (stack.issuer) {
    console.log('Sign in with SpectroCloud as one of the demo users:');
    for (const user of DEMO_USERS) {
      console.log(`  ${user.id.padEnd(6)} ${user.email}  groups: ${user.groups.join(', ')}`);
    }
    console.log('alice may read the OIDC cluster palette-dev; bob is denied there. shared-sa uses a service account.');
    console.log(`${TENANT_IDP_CLUSTER} trusts the tenant's own IdP ("Inherit from Tenant"): every Palette token gets 401 there.`);
    console.log(`Issuer:    ${stack.issuer.issuer}`);
    if (stack.secondIssuer) console.log(`Second Palette (${SECOND_ENVIRONMENT.title}, cluster ${SECOND_ENVIRONMENT_CLUSTER}): ${stack.secondIssuer.issuer}`);
    if (stack.catalogClusterUrl) {
      const listed = process.env.SPECTROCLOUD_CATALOG_CLUSTER === 'allowed' ? 'listed' : 'not listed';
      console.log(`Catalog-declared cluster ${CATALOG_CLUSTER}: ${stack.catalogClusterUrl} (${listed} in kubernetes.spectroCloudAuth.allowedCatalogClusterUrls)`);
    }
    console.log(`Audit log: ${stack.auditLogPath}`);
  } else {
    console.log('Using dev/app-config.local.yaml: a real SpectroCloud tenant and real clusters.');
  }
  console.log(`Backend auth module for spectrocloud: ${stack.authBackend} (SPECTROCLOUD_AUTH_BACKEND=oidc|published)`);
  console.log(`Kubernetes backend: ${process.env.SPECTROCLOUD_KUBERNETES_BACKEND === 'stock' ? 'stock, alone' : 'with the backend module'} (SPECTROCLOUD_KUBERNETES_BACKEND=module|stock)`);
  console.log(`Logs:      ${stack.workDir} (removed on stop; KEEP_TEMP=1 keeps it)\nPress Ctrl-C to stop.`);
} catch (error) {
  console.error(`\n✖ ${(error as Error).message}`);
  process.exitCode = 1;
}
