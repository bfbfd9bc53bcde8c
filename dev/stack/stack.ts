// The development environment: an OIDC issuer standing in for SpectroCloud
// Palette, three Kubernetes API stand-ins (more on request), the Backstage
// backend and the development app. npm start (start.ts), the smoke test and
// the browser test start it through startStack().
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { waitForCatalog } from '../lib/catalog.ts';
import { CATALOG_CLUSTER, CLIENT_ID, DEFAULT_APP_PORT, DEFAULT_BACKEND_PORT, SECOND_ENVIRONMENT } from '../lib/demo.ts';
import { PieceError } from '../lib/errors.ts';
import { readDocumentSnippets, snippet } from '../lib/snippets.ts';
import { HOST } from '../lib/loopback.ts';
import { assertPortFree, spawnLogged, stopProcess, waitForHttp } from '../lib/processes.ts';
import { createTemporaryDirectory, removeTemporaryDirectory, stopOnInterrupt } from '../lib/temporaryDirectory.ts';
import type { PaletteVariant, StartedIssuer } from './issuer.ts';
import { paletteVariables, startStandIns } from './standIns.ts';

const stackDir = path.dirname(fileURLToPath(import.meta.url));
const devDir = path.dirname(stackDir);
const rootDir = path.dirname(devDir);
export const LOCAL_CONFIG_PATH = path.join(devDir, 'app-config.local.yaml');

const PALETTE_EMAIL_VERIFIED = ['true', 'false', 'absent'] as const;

/**
 * How the Palette stand-ins differ from the README's assumptions, from
 * PALETTE_EMAIL_VERIFIED (true, false or absent), PALETTE_REFRESH_TOKENS=0
 * and PALETTE_GROUPS=0.
 */
export function paletteVariantFrom(env: NodeJS.ProcessEnv): PaletteVariant {
  const emailVerified = env.PALETTE_EMAIL_VERIFIED || 'true';
  if (!(PALETTE_EMAIL_VERIFIED as readonly string[]).includes(emailVerified)) {
    throw new PieceError('config', `PALETTE_EMAIL_VERIFIED is "${emailVerified}"; use one of ${PALETTE_EMAIL_VERIFIED.join(', ')}`);
  }
  return {
    emailVerified: emailVerified as PaletteVariant['emailVerified'],
    refreshTokens: env.PALETTE_REFRESH_TOKENS !== '0',
    groups: env.PALETTE_GROUPS !== '0',
  };
}

/**
 * The backend auth modules that can serve the provider id `spectrocloud`:
 * Backstage's OIDC authenticator (spectroCloudOidcAuthModule.ts), which
 * verifies ID tokens and renews them with refresh tokens, and the published
 * @terasky/backstage-plugin-spectrocloud-auth-backend.
 */
export const AUTH_BACKENDS = ['oidc', 'published'] as const;
export type AuthBackend = (typeof AUTH_BACKENDS)[number];

/**
 * The backend auth module of SPECTROCLOUD_AUTH_BACKEND; unset, the one that
 * renews, or against a real tenant the one its config is written for.
 */
export function authBackendFrom(variable: string | undefined, real: boolean): AuthBackend {
  if (variable === undefined || variable === '') {
    const realConfig = real ? fs.readFileSync(LOCAL_CONFIG_PATH, 'utf8') : '';
    return real && !/^\s*metadataUrl:/m.test(realConfig) ? 'published' : 'oidc';
  }
  if (!(AUTH_BACKENDS as readonly string[]).includes(variable)) {
    throw new PieceError('config', `SPECTROCLOUD_AUTH_BACKEND is "${variable}"; use one of ${AUTH_BACKENDS.join(', ')}`);
  }
  return variable as AuthBackend;
}

export interface StackOptions {
  /** Start the development app too; the smoke test needs only the backend. */
  frontend?: boolean;
  appPort?: number;
  backendPort?: number;
  idTokenTtlSeconds?: number;
  /** Which backend auth module serves `spectrocloud`; default `oidc`. */
  authBackend?: AuthBackend;
  /** Run the stock Kubernetes backend without this repository's backend module. */
  stockKubernetesBackend?: boolean;
  /** A second Palette (SECOND_ENVIRONMENT) with a cluster of its own; with the `oidc` auth backend. */
  secondEnvironment?: boolean;
  /** The issuer stand-in answers like Palette, with an HS256 JWT as refresh_token. */
  paletteRefreshToken?: boolean;
  /** How the Palette stand-ins differ from the README's assumptions. */
  paletteVariant?: PaletteVariant;
  /**
   * One more cluster (CATALOG_CLUSTER), declared by a catalog `Resource` as a
   * SpectroCloud OIDC cluster and found by a `catalog` cluster locator beside
   * the config one: anyone who edits the catalog could point such an entity
   * at a server of their own.
   */
  catalogCluster?: boolean;
  /** With `catalogCluster`: its URL in `kubernetes.spectroCloudAuth.allowedCatalogClusterUrls`. */
  allowCatalogCluster?: boolean;
  /** Use dev/app-config.local.yaml (a real tenant and clusters) instead of stand-ins. */
  real?: boolean;
  log?: (line: string) => void;
}

export interface Stack {
  appUrl: string;
  backendUrl: string;
  authBackend: AuthBackend;
  /** The issuer stand-in; undefined against a real tenant. */
  issuer?: StartedIssuer;
  /** The second Palette's issuer stand-in, with `secondEnvironment`. */
  secondIssuer?: StartedIssuer;
  /** With `catalogCluster`: the URL its catalog entity declares. */
  catalogClusterUrl?: string;
  auditLogPath: string;
  backendLog: string;
  /** Holds the logs and the generated config; removed by stop(). */
  workDir: string;
  stop: () => Promise<void>;
}

/**
 * Starts the stack. Resolves when every piece answers; on any failure stops
 * what it started and rejects with a PieceError naming the piece. Its
 * temporary directory goes when it stops, also on Ctrl-C.
 */
export async function startStack({
  frontend = true,
  appPort = DEFAULT_APP_PORT,
  backendPort = DEFAULT_BACKEND_PORT,
  idTokenTtlSeconds = 3600,
  authBackend = 'oidc',
  stockKubernetesBackend = false,
  secondEnvironment = false,
  paletteRefreshToken = false,
  paletteVariant,
  catalogCluster = false,
  allowCatalogCluster = false,
  real = false,
  log = () => {},
}: StackOptions = {}): Promise<Stack> {
  if (allowCatalogCluster && !catalogCluster) throw new PieceError('config', 'allowCatalogCluster needs catalogCluster');
  if (!fs.existsSync(path.join(rootDir, 'node_modules/@backstage/cli'))) {
    throw new PieceError('install', 'the module has no node_modules: run `npm ci` first');
  }
  await assertPortFree(backendPort, 'backend', 'BACKEND_PORT');
  if (frontend) await assertPortFree(appPort, 'app', 'APP_PORT');

  const workDir = createTemporaryDirectory('dev');
  const stoppers: (() => Promise<void>)[] = [];
  const stop = stopOnInterrupt(async () => {
    log('\nStopping the development environment...');
    for (const stopPiece of stoppers.reverse()) {
      await stopPiece().catch(() => {});
    }
    removeTemporaryDirectory(workDir);
  });

  try {
    const appUrl = `http://${HOST}:${appPort}`;
    const backendUrl = `http://${HOST}:${backendPort}`;
    const auditLogPath = path.join(workDir, 'kube-audit.log');
    const generated: Record<string, unknown> = {
      app: { baseUrl: appUrl, listen: { host: HOST, port: appPort } },
      backend: { baseUrl: backendUrl, listen: { host: HOST, port: backendPort }, cors: { origin: appUrl, credentials: true } },
      catalog: { locations: [{ type: 'file', target: path.join(devDir, 'catalog.yaml') }] },
    };
    let issuer: StartedIssuer | undefined;
    let secondIssuer: StartedIssuer | undefined;
    let catalogClusterUrl: string | undefined;
    // Catalog entities the backend must hold before the browser may come.
    const moreEntityRefs: string[] = [];
    // Config files beside the generated one, and the variables they read.
    const extraConfigs: [string, string][] = [];
    const extraEnv: Record<string, string> = {};

    if (!real) {
      const standIns = await startStandIns({
        backendUrl,
        auditLogPath,
        log,
        issuerOptions: { idTokenTtlSeconds, paletteRefreshToken, variant: paletteVariant },
        secondEnvironment,
        catalogCluster,
      });
      stoppers.push(() => standIns.close());
      const { issuer: startedIssuer, clientSecret, clusters } = standIns;
      issuer = startedIssuer;

      // The development app signs in with SpectroCloud: docs/app.md's sign-in-config.
      const development = { clientId: CLIENT_ID, clientSecret, signIn: { resolvers: [{ resolver: 'emailMatchingUserEntityProfileEmail' }] } };
      generated.auth =
        authBackend === 'oidc'
          ? {
              // openid-client keeps the state, nonce and PKCE verifier of a sign-in in this session.
              session: { secret: randomBytes(24).toString('base64url') },
              providers: { spectrocloud: { development: { metadataUrl: startedIssuer.metadataUrl, ...development, additionalScopes: ['offline_access'], prompt: 'auto' } } },
            }
          : { providers: { spectrocloud: { development: { ...development, authorizationUrl: startedIssuer.authorizationUrl } } } };
      const kubernetes: { clusterLocatorMethods: Record<string, unknown>[]; spectroCloudAuth?: { allowedCatalogClusterUrls: string[] } } = {
        clusterLocatorMethods: [{ type: 'config', clusters }],
      };
      generated.kubernetes = kubernetes;
      if (standIns.catalogCluster) {
        // A catalog file of its own, since the entity names the stand-in's port.
        catalogClusterUrl = standIns.catalogCluster.url;
        const entityPath = path.join(workDir, 'catalog-cluster.yaml');
        fs.writeFileSync(entityPath, JSON.stringify(catalogClusterEntity(standIns.catalogCluster.url), null, 2));
        const locations = (generated.catalog as { locations: unknown[] }).locations;
        // dev/app-config.yaml's catalog rules allow no Resource; this location's own rule does.
        locations.push({ type: 'file', target: entityPath, rules: [{ allow: ['Resource'] }] });
        moreEntityRefs.push(`resource:default/${CATALOG_CLUSTER}`);
        // Since 0.21.11 the catalog locator ignores clusters at plain-HTTP or
        // non-public addresses unless their host is listed here.
        kubernetes.clusterLocatorMethods.push({ type: 'catalog', dangerouslyAllowClusterUrls: [HOST] });
        // Patterns of whole URLs; deep-merged with environments-config's spectroCloudAuth.
        if (allowCatalogCluster) kubernetes.spectroCloudAuth = { allowedCatalogClusterUrls: [catalogClusterUrl] };
      }
      if (standIns.second) {
        // The README's own config for several Palettes, with its variables
        // pointing at the second issuer stand-in.
        if (authBackend !== 'oidc') throw new PieceError('config', 'a second environment needs the oidc auth backend');
        const { second } = standIns;
        secondIssuer = second.issuer;
        Object.assign(extraEnv, paletteVariables('SPECTROCLOUD_EU', second.issuer, second.clientSecret));
        extraConfigs.push(['environments-config.yaml', snippet(readDocumentSnippets(rootDir), 'environments-config')]);
        generated.devStack = { suppliedClusters: [{ ...second.cluster, oidcTokenProvider: SECOND_ENVIRONMENT.tokenProviderName }] };
      }
    }

    // JSON is YAML; the file holds fresh secrets, so only its owner may read it.
    const generatedConfigPath = path.join(workDir, 'generated-config.yaml');
    fs.writeFileSync(generatedConfigPath, JSON.stringify(generated, null, 2), { mode: 0o600 });
    const configArgs = ['--config', path.join(devDir, 'app-config.yaml'), '--config', generatedConfigPath];
    for (const [name, content] of extraConfigs) {
      fs.writeFileSync(path.join(workDir, name), content);
      configArgs.push('--config', path.join(workDir, name));
    }
    if (real) configArgs.push('--config', LOCAL_CONFIG_PATH);

    const backendLog = path.join(workDir, 'backend.log');
    // tsx, found from dev/stack up in the module's node_modules, runs the TypeScript.
    const backend = spawnLogged(process.execPath, ['--import', 'tsx', path.join(stackDir, 'backend.ts'), ...configArgs], {
      cwd: stackDir,
      logFile: backendLog,
      env: {
        ...process.env,
        ...extraEnv,
        NODE_ENV: 'development',
        SPECTROCLOUD_AUTH_BACKEND: authBackend,
        SPECTROCLOUD_KUBERNETES_BACKEND: stockKubernetesBackend ? 'stock' : 'module',
      },
    });
    stoppers.push(() => stopProcess(backend));
    const backendReady = async () => {
      await waitForHttp(`${backendUrl}/.backstage/health/v1/readiness`, { piece: 'backend', child: backend, timeoutMs: 180_000, logFile: backendLog });
      if (!real) await waitForCatalog(backendUrl, { timeoutMs: 60_000, logFile: backendLog, moreEntityRefs });
    };
    // The app's dev server compiles while the backend starts.
    const appReady = async () => {
      if (!frontend) return;
      const appLog = path.join(workDir, 'app.log');
      const app = spawnLogged(process.execPath, [path.join(rootDir, 'node_modules/@backstage/cli/bin/backstage-cli'), 'package', 'start', ...configArgs], {
        cwd: rootDir,
        logFile: appLog,
        env: { ...process.env, ...extraEnv, BROWSER: 'none' },
      });
      stoppers.push(() => stopProcess(app));
      await waitForHttp(appUrl, { piece: 'app', child: app, timeoutMs: 300_000, logFile: appLog });
    };
    // The first failure stops both (below); the other's wait then fails unheard.
    const ready = [backendReady(), appReady()];
    ready.forEach(wait => wait.catch(() => {}));
    await Promise.all(ready);

    return { appUrl, backendUrl, authBackend, issuer, secondIssuer, catalogClusterUrl, auditLogPath, backendLog, workDir, stop };
  } catch (error) {
    await stop();
    throw error instanceof PieceError ? error : new PieceError('stack', (error as Error).message);
  }
}

/**
 * The catalog entity that declares CATALOG_CLUSTER at `url`: the annotations
 * the catalog cluster locator reads, for a SpectroCloud OIDC cluster.
 */
function catalogClusterEntity(url: string) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: CATALOG_CLUSTER,
      description: 'A SpectroCloud cluster declared in the catalog rather than in app-config',
      annotations: {
        'kubernetes.io/api-server': url,
        // The locator requires a CA; the stand-in speaks plain HTTP, so none is used.
        'kubernetes.io/api-server-certificate-authority': Buffer.from('unused: the stand-in speaks plain HTTP').toString('base64'),
        'kubernetes.io/auth-provider': 'oidc',
        'kubernetes.io/oidc-token-provider': 'spectrocloud',
        'kubernetes.io/skip-metrics-lookup': 'true',
      },
    },
    spec: { type: 'kubernetes-cluster', owner: 'group:default/platform-readers' },
  };
}
