// The SpectroCloud issuer and the two Kubernetes API stand-ins, with the demo
// users, client, clusters and RBAC, on free ports of 127.0.0.1 and with
// secrets made now. npm start (stack.ts) and the adoption test start them here.
import { randomBytes } from 'node:crypto';

import { PieceError } from '../lib/errors.ts';
import { CLIENT_ID, COMPONENT, DEMO_USERS, READER_GROUP, spectroCloudRedirectUri } from '../lib/demo.ts';
import { startIssuer, type IssuerOptions, type StartedIssuer } from './issuer.ts';
import { SERVICE_ACCOUNT_USER } from './kube-apiserver/authentication.ts';
import { demoFixtures } from './kube-apiserver/resourceStore.ts';
import { startKubeApiServer } from './kube-apiserver/server.ts';

export interface StandIns {
  issuer: StartedIssuer;
  clientId: string;
  clientSecret: string;
  /** Config-locator entries for the Kubernetes backend. */
  clusters: Record<string, unknown>[];
  close: () => Promise<void>;
}

export async function startStandIns({
  backendUrl,
  auditLogPath,
  log,
  issuerOptions = {},
}: {
  backendUrl: string;
  auditLogPath: string;
  log: (line: string) => void;
  issuerOptions?: Pick<IssuerOptions, 'idTokenTtlSeconds' | 'accessTokenTtlSeconds' | 'paletteRefreshToken'>;
}): Promise<StandIns> {
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
      ...issuerOptions,
      log,
    }).catch(error => {
      throw new PieceError('issuer', error.message);
    });
    closers.push(() => issuer.close());

    const readEverything = { verbs: ['get', 'list'], resources: ['*'] };
    const standIns = [
      {
        name: 'palette-dev',
        config: { authProvider: 'oidc', oidcTokenProvider: 'spectrocloud' },
        oidc: { issuerUrl: issuer.issuer, clientId: CLIENT_ID },
        bindings: [{ subjects: [{ kind: 'Group' as const, name: READER_GROUP }], ...readEverything }],
      },
      {
        name: 'shared-sa',
        config: { authProvider: 'serviceAccount', serviceAccountToken },
        serviceAccountToken,
        bindings: [{ subjects: [{ kind: 'User' as const, name: SERVICE_ACCOUNT_USER }], ...readEverything }],
      },
    ];
    const clusters: Record<string, unknown>[] = [];
    for (const { config, ...standIn } of standIns) {
      const server = await startKubeApiServer({ ...standIn, fixtures: demoFixtures(COMPONENT), auditLogPath, log }).catch(error => {
        throw new PieceError(`Kubernetes stand-in ${standIn.name}`, error.message);
      });
      closers.push(() => server.close());
      clusters.push({ name: standIn.name, url: server.url, ...config, skipTLSVerify: true, skipMetricsLookup: true });
    }

    return { issuer, clientId: CLIENT_ID, clientSecret, clusters, close };
  } catch (error) {
    await close();
    throw error;
  }
}
