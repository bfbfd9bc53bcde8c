// The SpectroCloud issuer and the three Kubernetes API stand-ins (and, on
// request, a second Palette's and a catalog-declared cluster's), with the demo
// users, client, clusters and RBAC, on free ports of 127.0.0.1 and with
// secrets made now. npm start (stack.ts) and the adoption test start them here.
import { randomBytes } from 'node:crypto';

import { PieceError } from '../lib/errors.ts';
import { CATALOG_CLUSTER, CLIENT_ID, COMPONENT, DEMO_USERS, READER_GROUP, SECOND_ENVIRONMENT, SECOND_ENVIRONMENT_CLUSTER, TENANT_IDP_CLUSTER, TENANT_IDP_TRUST, spectroCloudRedirectUri } from '../lib/demo.ts';
import { startIssuer, type IssuerOptions, type StartedIssuer } from './issuer.ts';
import { SERVICE_ACCOUNT_USER } from './kube-apiserver/authentication.ts';
import { demoFixtures } from './kube-apiserver/resourceStore.ts';
import { startKubeApiServer } from './kube-apiserver/server.ts';

export interface StandIns {
  issuer: StartedIssuer;
  clientSecret: string;
  /** Config-locator entries for the Kubernetes backend. */
  clusters: Record<string, unknown>[];
  /** With `secondEnvironment`: its issuer, with keys of its own, and its cluster. */
  second?: { issuer: StartedIssuer; clientSecret: string; cluster: { name: string; url: string } };
  /** With `catalogCluster`: the cluster a catalog entity declares, for the catalog locator. */
  catalogCluster?: { name: string; url: string };
  close: () => Promise<void>;
}

/**
 * The variables a README config snippet reads for a Palette (`SPECTROCLOUD`,
 * `SPECTROCLOUD_EU`...): `<prefix>_URL`, `_TENANT`, `_CLIENT_ID` and
 * `_CLIENT_SECRET`, pointing at an issuer stand-in.
 */
export function paletteVariables(prefix: string, issuer: StartedIssuer, clientSecret: string): Record<string, string> {
  const [, url, tenant] = /^(.*)\/v1\/oidc\/tenant\/([^/]+)$/.exec(issuer.issuer) ?? [];
  return { [`${prefix}_URL`]: url, [`${prefix}_TENANT`]: tenant, [`${prefix}_CLIENT_ID`]: CLIENT_ID, [`${prefix}_CLIENT_SECRET`]: clientSecret };
}

export async function startStandIns({
  backendUrl,
  auditLogPath,
  log,
  issuerOptions = {},
  secondEnvironment = false,
  catalogCluster = false,
}: {
  backendUrl: string;
  auditLogPath: string;
  log: (line: string) => void;
  issuerOptions?: Pick<IssuerOptions, 'idTokenTtlSeconds' | 'paletteRefreshToken' | 'variant'>;
  /** Also a second Palette (SECOND_ENVIRONMENT) and a cluster that trusts only it. */
  secondEnvironment?: boolean;
  /**
   * Also a cluster for a catalog `Resource` to declare (CATALOG_CLUSTER): it
   * trusts the first Palette, as a real one of its clusters would, so a token
   * sent there works there; its audit lines show every request it gets and
   * whether it carried a bearer token.
   */
  catalogCluster?: boolean;
}): Promise<StandIns> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => {});
  };
  // A Palette issuer stand-in, with keys and a client secret of its own, for the backend auth provider `providerId`.
  const startPalette = async (piece: string, providerId?: string) => {
    const clientSecret = randomBytes(24).toString('base64url');
    const issuer = await startIssuer({
      clients: [{ client_id: CLIENT_ID, client_secret: clientSecret, redirect_uris: [spectroCloudRedirectUri(backendUrl, providerId)] }],
      users: DEMO_USERS,
      ...issuerOptions,
      log,
    }).catch(error => {
      throw new PieceError(piece, error.message);
    });
    closers.push(() => issuer.close());
    return { issuer, clientSecret };
  };
  // A Kubernetes API stand-in serving the demo objects, which writes to the audit log.
  const startCluster = async (standIn: Omit<Parameters<typeof startKubeApiServer>[0], 'fixtures' | 'auditLogPath' | 'log'>) => {
    const server = await startKubeApiServer({ ...standIn, fixtures: demoFixtures(COMPONENT), auditLogPath, log }).catch(error => {
      throw new PieceError(`Kubernetes stand-in ${standIn.name}`, error.message);
    });
    closers.push(() => server.close());
    return server;
  };
  try {
    const { issuer, clientSecret } = await startPalette('issuer');
    const serviceAccountToken = randomBytes(24).toString('base64url');

    // A binding to ClusterRole view, which reads everything.
    const viewer = (name: string, kind: 'User' | 'Group', subject: string) => ({ name, role: 'view', subjects: [{ kind, name: subject }], verbs: ['get', 'list'], resources: ['*'] });
    const readers = [viewer(`${READER_GROUP}-view`, 'Group', READER_GROUP)];
    const trusting = (palette: StartedIssuer) => ({ issuerUrl: palette.issuer, clientId: CLIENT_ID });
    const spectroCloud = { authProvider: 'oidc', oidcTokenProvider: 'spectrocloud' };
    const standIns = [
      { name: 'palette-dev', config: spectroCloud, oidc: trusting(issuer), bindings: readers },
      { name: 'shared-sa', config: { authProvider: 'serviceAccount', serviceAccountToken }, serviceAccountToken, bindings: [viewer('backstage-view', 'User', SERVICE_ACCOUNT_USER)] },
      { name: TENANT_IDP_CLUSTER, config: spectroCloud, oidc: TENANT_IDP_TRUST, bindings: readers },
    ];
    const clusters: Record<string, unknown>[] = [];
    for (const { config, ...standIn } of standIns) {
      const server = await startCluster(standIn);
      clusters.push({ name: standIn.name, url: server.url, ...config, skipTLSVerify: true, skipMetricsLookup: true });
    }

    let second: StandIns['second'];
    if (secondEnvironment) {
      const { issuer: secondIssuer, clientSecret: secondSecret } = await startPalette(`issuer of ${SECOND_ENVIRONMENT.title}`, SECOND_ENVIRONMENT.authProvider);
      const server = await startCluster({ name: SECOND_ENVIRONMENT_CLUSTER, oidc: trusting(secondIssuer), bindings: readers });
      second = { issuer: secondIssuer, clientSecret: secondSecret, cluster: { name: SECOND_ENVIRONMENT_CLUSTER, url: server.url } };
    }

    let catalogDeclared: StandIns['catalogCluster'];
    if (catalogCluster) {
      const server = await startCluster({ name: CATALOG_CLUSTER, oidc: trusting(issuer), bindings: readers });
      catalogDeclared = { name: CATALOG_CLUSTER, url: server.url };
    }

    return { issuer, clientSecret, clusters, second, catalogCluster: catalogDeclared, close };
  } catch (error) {
    await close();
    throw error;
  }
}
