// A stand-in for a Kubernetes API server, faithful where Backstage's
// Kubernetes backend touches one. Each request is authenticated
// (authentication.ts), routed (routing.ts), authorized (rbacAuthorization.ts),
// answered from the resource store (resourceStore.ts), or for a self review
// from that authentication and RBAC, and written to the audit log (auditLog.ts).
//
// Plain HTTP on 127.0.0.1: Backstage's cluster entry points at
// http://127.0.0.1:<port> with skipTLSVerify. Token text is never logged,
// echoed or written.
import http from 'node:http';
import { text } from 'node:stream/consumers';

import { HOST, closeServer, listen } from '../../lib/loopback.ts';
import { redactPath, tokenFacts, writeAuditRecord } from './auditLog.ts';
import { bearerToken, createAuthenticator, type OidcTrust } from './authentication.ts';
import { authorize, BASIC_USER, resourceName, type Binding } from './rbacAuthorization.ts';
import { createResourceStore, type KubeObject } from './resourceStore.ts';
import { answer, answerReview, forbidden, notFound, route, statusReply, unauthorized, type Reply } from './routing.ts';

export interface KubeApiServerOptions {
  /** The cluster's name, recorded in the audit log. */
  name: string;
  /** Trust ID tokens from this issuer. */
  oidc?: OidcTrust;
  /** A static bearer token for system:serviceaccount:default:backstage. */
  serviceAccountToken?: string;
  /** Beside kube's built-in system:basic-user binding (BASIC_USER), which every cluster has. */
  bindings: Binding[];
  fixtures: KubeObject[];
  /** JSON lines, appended; without it nothing is audited. */
  auditLogPath?: string;
  log: (line: string) => void;
}

export interface StartedKubeApiServer {
  url: string;
  close: () => Promise<void>;
}

export async function startKubeApiServer(options: KubeApiServerOptions): Promise<StartedKubeApiServer> {
  const { name, oidc, serviceAccountToken, fixtures, auditLogPath, log } = options;
  const bindings = [...options.bindings, BASIC_USER];
  const authenticate = createAuthenticator({ oidc, serviceAccountToken });
  const store = createResourceStore(fixtures);

  async function serve(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    const request = route(req.method, url);
    const body = await text(req);
    const token = bearerToken(req.headers.authorization);
    const authentication = await authenticate(token);
    const user = 'error' in authentication ? undefined : authentication;
    const authError = 'error' in authentication ? authentication.error : undefined;

    let reply: Reply;
    if (!user) reply = unauthorized();
    else if (!request) reply = notFound();
    else {
      const authorization = authorize(bindings, user, request);
      if (!authorization.allowed) reply = forbidden(request, authorization.message);
      else reply = request.verb === 'create' ? answerReview(request, body, user, bindings) : answer(request, url, store);
    }

    const path = redactPath(req.url);
    if (auditLogPath) {
      await writeAuditRecord(auditLogPath, {
        time: new Date().toISOString(),
        cluster: name,
        user: user?.user ?? null,
        groups: user?.groups ?? null,
        verb: request?.verb ?? String(req.method).toLowerCase(),
        resource: request ? resourceName(request) : null,
        namespace: request?.namespace ?? null,
        name: request?.name ?? null,
        path,
        code: reply.code,
        ...(authError ? { authError } : {}),
        ...tokenFacts(token),
      });
    }
    log(`kube[${name}]: ${req.method} ${path} → ${reply.code} (${user?.user ?? `unauthenticated: ${authError}`})`);
    res.writeHead(reply.code, { 'content-type': reply.contentType, 'cache-control': 'no-cache, private' });
    res.end(reply.body);
  }

  const server = http.createServer((req, res) => {
    serve(req, res).catch((error: Error) => {
      log(`kube[${name}]: internal error on ${req.method} ${redactPath(req.url)}: ${error.message}`);
      if (res.headersSent) res.end();
      else {
        const reply = statusReply(500, 'InternalError', 'an internal error occurred');
        res.writeHead(reply.code, { 'content-type': reply.contentType });
        res.end(reply.body);
      }
    });
  });
  const port = await listen(server, 0);
  return { url: `http://${HOST}:${port}`, close: () => closeServer(server) };
}
