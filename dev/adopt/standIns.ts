// The dev stack's SpectroCloud issuer and Kubernetes API stand-ins, started
// for the generated app: the same demo users, client, clusters and RBAC as
// `npm start`, on free ports of 127.0.0.1, with secrets made now.
import { randomBytes } from 'node:crypto';

import { CLIENT_ID, COMPONENT, DEMO_USERS, READER_GROUP, spectroCloudRedirectUri } from '../stack/demo.ts';
import { startIssuer, type StartedIssuer } from '../stack/issuer.ts';
import { SERVICE_ACCOUNT_USER } from '../stack/kube-apiserver/authentication.ts';
import { demoFixtures } from '../stack/kube-apiserver/resourceStore.ts';
import { startKubeApiServer } from '../stack/kube-apiserver/server.ts';

export interface StandIns {
  issuer: StartedIssuer;
  clientId: string;
  clientSecret: string;
  /** Config-locator entries for the Kubernetes backend. */
  clusters: Record<string, unknown>[];
  close: () => Promise<void>;
}

export async function startStandIns({ backendUrl, auditLogPath, log }: { backendUrl: string; auditLogPath: string; log: (line: string) => void }): Promise<StandIns> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => {});
  };
  try {
    const clientSecret = randomBytes(24).toString('base64url');
    const serviceAccountToken = randomBytes(24).toString('base64url');
    const issuer = await startIssuer({
      clients: [{ client_id: CLIENT_ID, client_secret: clientSecret, redirect_uris: [spectroCloudRedirectUri(backendUrl)] }],
      users: DEMO_USERS,
      log,
    });
    closers.push(() => issuer.close());

    const readEverything = { verbs: ['get', 'list'], resources: ['*'] };
    const clusters: Record<string, unknown>[] = [];
    const paletteDev = await startKubeApiServer({
      name: 'palette-dev',
      oidc: { issuerUrl: issuer.issuer, clientId: CLIENT_ID },
      bindings: [{ subjects: [{ kind: 'Group', name: READER_GROUP }], ...readEverything }],
      fixtures: demoFixtures(COMPONENT),
      auditLogPath,
      log,
    });
    closers.push(() => paletteDev.close());
    clusters.push({ name: 'palette-dev', url: paletteDev.url, authProvider: 'oidc', oidcTokenProvider: 'spectrocloud', skipTLSVerify: true, skipMetricsLookup: true });

    const sharedSa = await startKubeApiServer({
      name: 'shared-sa',
      serviceAccountToken,
      bindings: [{ subjects: [{ kind: 'User', name: SERVICE_ACCOUNT_USER }], ...readEverything }],
      fixtures: demoFixtures(COMPONENT),
      auditLogPath,
      log,
    });
    closers.push(() => sharedSa.close());
    clusters.push({ name: 'shared-sa', url: sharedSa.url, authProvider: 'serviceAccount', serviceAccountToken, skipTLSVerify: true, skipMetricsLookup: true });

    return { issuer, clientId: CLIENT_ID, clientSecret, clusters, close };
  } catch (error) {
    await close();
    throw error;
  }
}
