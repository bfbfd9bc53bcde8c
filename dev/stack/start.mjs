// Starts the development environment: an OIDC issuer standing in for
// SpectroCloud Palette, Kubernetes API stand-ins, the Backstage backend and
// the development app. `node dev/stack/start.mjs` (npm start) runs it until
// Ctrl-C; the smoke test imports startStack().
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const stackDir = path.dirname(fileURLToPath(import.meta.url));
const devDir = path.dirname(stackDir);
const rootDir = path.dirname(devDir);
const localConfigPath = path.join(devDir, 'app-config.local.yaml');

export const CLIENT_ID = 'backstage-dev';
export const COMPONENT = 'demo-service';
export const DEMO_USERS = [
  { id: 'alice', email: 'alice@example.com', name: 'Alice', groups: ['platform-readers'] },
  { id: 'bob', email: 'bob@example.com', name: 'Bob', groups: ['contractors'] },
];

/** A failure of one piece of the stack, named so the user knows where to look. */
export class StackError extends Error {
  constructor(piece, reason) {
    super(`${piece} failed: ${reason}`);
    this.piece = piece;
  }
}

function assertInstalled() {
  const missing = ['@backstage/backend-defaults', 'oidc-provider', 'jose'].filter(
    name => !fs.existsSync(path.join(stackDir, 'node_modules', name)),
  );
  if (missing.length > 0) {
    throw new StackError('install', `dev/stack is missing ${missing.join(', ')}: run \`npm ci --prefix dev/stack\` first`);
  }
  if (!fs.existsSync(path.join(rootDir, 'node_modules/@backstage/cli'))) {
    throw new StackError('install', 'the module has no node_modules: run `npm ci` first');
  }
}

function assertPortFree(port, piece, variable) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', error =>
      reject(new StackError(piece, `port ${port} on 127.0.0.1 is not free (${error.code}); stop what uses it or set ${variable}`)),
    );
    server.listen(port, '127.0.0.1', () => server.close(resolve));
  });
}

/** Calls `ready` every 500 ms until it returns true; false after the deadline. */
async function poll(ready, { timeoutMs, beforeEach = () => {} }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    beforeEach();
    if (await ready().catch(() => false)) return true;
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  return false;
}

async function waitForHttp(url, { piece, child, timeoutMs, logFile }) {
  const ready = await poll(async () => (await fetch(url)).ok, {
    timeoutMs,
    beforeEach: () => {
      if (child && child.exitCode !== null) {
        throw new StackError(piece, `exited with code ${child.exitCode} before it was ready; last log lines:\n${tail(logFile)}`);
      }
    },
  });
  if (!ready) {
    throw new StackError(piece, `not ready at ${url} after ${timeoutMs / 1000} s; last log lines:\n${tail(logFile)}`);
  }
}

// Sign-in resolves users from the catalog, so the stack is ready only once
// the catalog has read dev/catalog.yaml. A guest token is enough to ask.
async function waitForCatalog(backendUrl, { timeoutMs, logFile }) {
  let token;
  const entityRefs = [...DEMO_USERS.map(user => `user:default/${user.id}`), `component:default/${COMPONENT}`];
  const ready = await poll(async () => {
    token ??= (
      await (await fetch(`${backendUrl}/api/auth/guest/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest' } })).json()
    ).backstageIdentity.token;
    const response = await fetch(`${backendUrl}/api/catalog/entities/by-refs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ entityRefs }),
    });
    return (await response.json()).items.every(Boolean);
  }, { timeoutMs });
  if (!ready) {
    throw new StackError('catalog', `dev/catalog.yaml was not loaded after ${timeoutMs / 1000} s; last log lines:\n${tail(logFile)}`);
  }
}

function tail(file, lines = 20) {
  if (!file || !fs.existsSync(file)) return '(no log)';
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function spawnLogged(command, args, { cwd, logFile, env }) {
  const out = fs.openSync(logFile, 'a');
  // A process group of its own, so stopping it also stops its children.
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  return child;
}

function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise(resolve => {
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, 5000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    try { process.kill(-child.pid, 'SIGTERM'); } catch { clearTimeout(timer); resolve(); }
  });
}

/**
 * Starts the stack. Resolves when every piece answers; on any failure stops
 * what it started and rejects with a StackError naming the piece.
 */
export async function startStack({
  frontend = true,
  appPort = Number(process.env.APP_PORT ?? 3000),
  backendPort = Number(process.env.BACKEND_PORT ?? 7007),
  idTokenTtlSeconds = Number(process.env.ID_TOKEN_TTL_SECONDS ?? 3600),
  real = fs.existsSync(localConfigPath),
  log = console.log,
} = {}) {
  assertInstalled();
  await assertPortFree(backendPort, 'backend', 'BACKEND_PORT');
  if (frontend) await assertPortFree(appPort, 'app', 'APP_PORT');

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spectrocloud-dev-'));
  const stoppers = [];
  const stop = async () => {
    for (const stopPiece of stoppers.reverse()) {
      await stopPiece().catch(() => {});
    }
    stoppers.length = 0;
    fs.rmSync(path.join(workDir, 'generated-config.yaml'), { force: true });
  };

  try {
    const appUrl = `http://127.0.0.1:${appPort}`;
    const backendUrl = `http://127.0.0.1:${backendPort}`;
    const auditLogPath = path.join(workDir, 'kube-audit.log');
    const generated = {
      app: { baseUrl: appUrl, listen: { host: '127.0.0.1', port: appPort } },
      backend: { baseUrl: backendUrl, listen: { host: '127.0.0.1', port: backendPort }, cors: { origin: appUrl, credentials: true } },
      catalog: { locations: [{ type: 'file', target: path.join(devDir, 'catalog.yaml') }] },
    };
    let issuer;
    const clusters = [];

    if (!real) {
      const { startIssuer } = await import('./issuer.mjs');
      const { startKubeApiServer, demoFixtures } = await import('./kube-apiserver.mjs');
      const clientSecret = randomBytes(24).toString('base64url');
      const serviceAccountToken = randomBytes(24).toString('base64url');

      issuer = await startIssuer({
        clients: [{ client_id: CLIENT_ID, client_secret: clientSecret, redirect_uris: [`${backendUrl}/api/auth/spectrocloud/handler/frame`] }],
        users: DEMO_USERS,
        idTokenTtlSeconds,
        log,
      }).catch(error => { throw new StackError('issuer', error.message); });
      stoppers.push(() => issuer.close());

      const readEverything = { verbs: ['get', 'list', 'watch'], resources: ['*'] };
      const standIns = [
        {
          name: 'palette-dev',
          config: { authProvider: 'oidc', oidcTokenProvider: 'spectrocloud' },
          options: { oidc: { issuerUrl: issuer.issuer, clientId: CLIENT_ID }, bindings: [{ subjects: [{ kind: 'Group', name: 'platform-readers' }], ...readEverything }] },
        },
        {
          name: 'shared-sa',
          config: { authProvider: 'serviceAccount', serviceAccountToken },
          options: { serviceAccountToken, bindings: [{ subjects: [{ kind: 'User', name: 'system:serviceaccount:default:backstage' }], ...readEverything }] },
        },
      ];
      for (const standIn of standIns) {
        const server = await startKubeApiServer({
          name: standIn.name,
          fixtures: demoFixtures(COMPONENT),
          auditLogPath,
          log,
          ...standIn.options,
        }).catch(error => { throw new StackError(`Kubernetes stand-in ${standIn.name}`, error.message); });
        stoppers.push(() => server.close());
        clusters.push({ name: standIn.name, url: server.url, ...standIn.config, skipTLSVerify: true, skipMetricsLookup: true });
      }

      generated.auth = {
        providers: {
          spectrocloud: {
            development: {
              clientId: CLIENT_ID,
              clientSecret,
              authorizationUrl: issuer.authorizationUrl,
              signIn: { resolvers: [{ resolver: 'emailMatchingUserEntityProfileEmail' }] },
            },
          },
        },
      };
      generated.kubernetes = { clusterLocatorMethods: [{ type: 'config', clusters }] };
    }

    // JSON is YAML; the file holds fresh secrets, so only its owner may read it.
    const generatedConfigPath = path.join(workDir, 'generated-config.yaml');
    fs.writeFileSync(generatedConfigPath, JSON.stringify(generated, null, 2), { mode: 0o600 });
    const configArgs = ['--config', path.join(devDir, 'app-config.yaml'), '--config', generatedConfigPath];
    if (real) configArgs.push('--config', localConfigPath);

    const backendLog = path.join(workDir, 'backend.log');
    const backend = spawnLogged(process.execPath, [path.join(stackDir, 'backend.mjs'), ...configArgs], {
      cwd: stackDir,
      logFile: backendLog,
      env: { NODE_ENV: 'development' },
    });
    stoppers.push(() => stopProcess(backend));
    await waitForHttp(`${backendUrl}/.backstage/health/v1/readiness`, { piece: 'backend', child: backend, timeoutMs: 180_000, logFile: backendLog });
    if (!real) {
      await waitForCatalog(backendUrl, { timeoutMs: 60_000, logFile: backendLog });
    }

    let appLog;
    if (frontend) {
      appLog = path.join(workDir, 'app.log');
      const app = spawnLogged(process.execPath, [path.join(rootDir, 'node_modules/@backstage/cli/bin/backstage-cli'), 'package', 'start', ...configArgs], {
        cwd: rootDir,
        logFile: appLog,
        env: { BROWSER: 'none' },
      });
      stoppers.push(() => stopProcess(app));
      await waitForHttp(appUrl, { piece: 'app', child: app, timeoutMs: 300_000, logFile: appLog });
    }

    return { appUrl, backendUrl, issuer, clusters, auditLogPath, backendLog, appLog, workDir, real, stop };
  } catch (error) {
    await stop();
    throw error instanceof StackError ? error : new StackError('stack', error.message);
  }
}

async function main() {
  const startedAt = Date.now();
  let stack;
  let stopping = false;
  const shutdown = async code => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the development environment...');
    await stack?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));

  try {
    stack = await startStack();
  } catch (error) {
    console.error(`\n✖ ${error.message}`);
    process.exit(1);
  }
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  console.log(`\nReady in ${seconds} s. Open ${stack.appUrl}/catalog/default/component/${COMPONENT}/kubernetes`);
  if (stack.real) {
    console.log('Using dev/app-config.local.yaml: a real SpectroCloud tenant and real clusters.');
  } else {
    console.log('Sign in with SpectroCloud as one of the demo users:');
    for (const user of DEMO_USERS) {
      console.log(`  ${user.id.padEnd(6)} ${user.email}  groups: ${user.groups.join(', ')}`);
    }
    console.log('alice may read the OIDC cluster palette-dev; bob is denied there. shared-sa uses a service account.');
    console.log(`Issuer:    ${stack.issuer.issuer}`);
    console.log(`Audit log: ${stack.auditLogPath}`);
  }
  console.log(`Logs:      ${stack.workDir}\nPress Ctrl-C to stop.`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main();
}
