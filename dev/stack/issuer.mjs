// Local stand-in for SpectroCloud Palette's per-tenant OIDC issuer.
//
// Built on `oidc-provider` (a certified OpenID Provider) rather than hand-rolled
// token minting, so discovery, JWKS, code exchange, client authentication and
// refresh behave like a real issuer. Only the sign-in UI is ours: a one-click
// picker of demo users, so a script or a person can drive it.
//
// Everything binds to 127.0.0.1; signing and cookie keys are generated at start
// and live only in memory.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';

import { exportJWK, generateKeyPair } from 'jose';
import Provider, { interactionPolicy } from 'oidc-provider';
import { HOST, closeServer, listen } from './loopback.mjs';

/**
 * @typedef {object} IssuerClient
 * @property {string} client_id
 * @property {string} client_secret
 * @property {string[]} redirect_uris
 * @property {'client_secret_basic' | 'client_secret_post'} [token_endpoint_auth_method]
 *   Registered method. oidc-provider accepts the secret in the Authorization
 *   header (basic) or in the form body (post) whichever of the two is registered.
 *
 * @typedef {object} DemoUser
 * @property {string} id            becomes `sub`
 * @property {string} email
 * @property {string} name
 * @property {string[]} groups
 * @property {boolean} [emailVerified]  defaults to true; false lets tests exercise kube's email_verified rule
 *
 * @typedef {object} StartedIssuer
 * @property {string} issuer            e.g. http://127.0.0.1:PORT/v1/oidc/tenant/demo
 * @property {string} authorizationUrl  `${issuer}/auth`
 * @property {string} tokenUrl          `${issuer}/token`
 * @property {string} jwksUri           `${issuer}/jwks`
 * @property {number} port
 * @property {() => Promise<void>} close
 */

const PAGE_TITLE = 'SpectroCloud (local stand-in) sign-in';

/**
 * Start the issuer.
 *
 * @param {object} options
 * @param {number} [options.port=0]             0 picks a free port
 * @param {string} [options.tenant='demo']      Palette tenant segment of the issuer URL
 * @param {IssuerClient[]} options.clients
 * @param {DemoUser[]} options.users
 * @param {number} [options.idTokenTtlSeconds=3600]  lifetime of ID and access tokens
 * @param {(line: string) => void} [options.log=console.log]
 * @returns {Promise<StartedIssuer>}
 */
export async function startIssuer({
  port = 0,
  tenant = 'demo',
  clients,
  users,
  idTokenTtlSeconds = 3600,
  log = console.log,
}) {
  if (!Array.isArray(clients) || clients.length === 0) throw new TypeError('startIssuer: clients must be a non-empty array');
  if (!Array.isArray(users) || users.length === 0) throw new TypeError('startIssuer: users must be a non-empty array');

  // Palette serves each tenant's issuer below this path, so the provider is
  // mounted there instead of at the root.
  const prefix = `/v1/oidc/tenant/${encodeURIComponent(tenant)}`;

  /** @type {import('oidc-provider').Provider | undefined} */
  let provider;
  let providerCallback;

  // Listen first: the issuer URL has to contain the real port when port=0.
  const server = http.createServer((req, res) => {
    handleRequest(req, res).catch((err) => {
      log(`issuer: internal error on ${req.method} ${pathOnly(req.url)}: ${err.message}`);
      if (!res.headersSent) sendText(res, 500, 'internal error');
      else res.end();
    });
  });
  const actualPort = await listen(server, port);
  const issuer = `http://${HOST}:${actualPort}${prefix}`;

  provider = new Provider(issuer, await providerConfiguration({ clients, users, idTokenTtlSeconds, prefix }));
  providerCallback = provider.callback();
  logIssuedTokens(provider, log);

  async function handleRequest(req, res) {
    if (!providerCallback) {
      sendText(res, 503, 'issuer is starting');
      return;
    }
    const path = pathOnly(req.url);
    if (path.startsWith(`${prefix}/interaction/`)) {
      await handleInteraction(req, res, { provider, users, prefix, log });
      return;
    }
    if (path === prefix || path.startsWith(`${prefix}/`)) {
      // Express-style mount: oidc-provider builds its absolute URLs (discovery,
      // redirects to /auth/<uid> resume) from `req.baseUrl` + its own route.
      req.baseUrl = prefix;
      const rest = req.url.slice(prefix.length);
      req.url = rest.startsWith('/') ? rest : `/${rest}`;
      providerCallback(req, res);
      return;
    }
    sendText(res, 404, 'not found');
  }

  return {
    issuer,
    authorizationUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    jwksUri: `${issuer}/jwks`,
    port: actualPort,
    close: () => closeServer(server),
  };
}

/**
 * Everything oidc-provider needs, with keys created fresh for this process.
 */
async function providerConfiguration({ clients, users, idTokenTtlSeconds, prefix }) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk = { ...(await exportJWK(privateKey)), kid: `standin-${randomUUID()}`, alg: 'RS256', use: 'sig' };
  const usersById = new Map(users.map((u) => [u.id, u]));

  return {
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },

    clients: clients.map((c) => ({
      token_endpoint_auth_method: 'client_secret_basic',
      ...c,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
    })),

    findAccount: (_ctx, sub) => {
      const user = usersById.get(sub);
      return user && { accountId: user.id, claims: () => userClaims(user) };
    },

    // Scope → claims. `openid profile email` therefore yields email and groups.
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'groups'],
      groups: ['groups'],
    },
    // Put the scope-derived claims into the ID token itself (the OIDC default
    // moves them to userinfo when an access token is issued). Kubernetes and
    // the SpectroCloud auth module read them from the ID token.
    conformIdTokenClaims: false,

    // Refresh tokens normally need the offline_access scope (plus prompt=consent).
    // The SpectroCloud module asks for `openid profile email` only, so hand one
    // to every client registered for the refresh_token grant.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),

    // The SpectroCloud module sends no PKCE parameters.
    pkce: { required: () => false },
    // Palette-like: authorization-code flow only.
    responseTypes: ['code'],

    features: {
      devInteractions: { enabled: false },
    },
    interactions: {
      url: (_ctx, interaction) => `${prefix}/interaction/${interaction.uid}`,
      policy: interactionPolicyAlwaysPicking(),
    },

    ttl: {
      AccessToken: idTokenTtlSeconds,
      IdToken: idTokenTtlSeconds,
      AuthorizationCode: 60,
      RefreshToken: 24 * 60 * 60,
      Interaction: 10 * 60,
      Session: 24 * 60 * 60,
      Grant: 24 * 60 * 60,
    },

    // The default error page pulls a web font from the internet; keep it local.
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in error', `<h1>Sign-in error</h1>${Object.entries(out)
        .map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(v)}</p>`)
        .join('')}`);
    },
  };
}

/** @param {DemoUser} user */
function userClaims(user) {
  const [givenName, ...rest] = user.name.split(' ');
  return {
    sub: user.id,
    email: user.email,
    email_verified: user.emailVerified ?? true,
    name: user.name,
    // The SpectroCloud auth module builds its display name from these two.
    given_name: givenName,
    family_name: rest.join(' ') || undefined,
    groups: [...user.groups],
  };
}

/**
 * Default policy plus one login check: show the user picker on every
 * authorization request (except prompt=none), so switching between demo users
 * in a browser needs no sign-out.
 */
function interactionPolicyAlwaysPicking() {
  const policy = interactionPolicy.base();
  policy.get('login').checks.add(
    new interactionPolicy.Check('standin_pick_user', 'a demo user must be picked', 'login_required', (ctx) => {
      const { oidc } = ctx;
      if (oidc.result?.login || oidc.prompts.has('none')) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

/**
 * GET renders the picker; POST `user=<id>` signs in and grants consent in one
 * step; POST `cancel=1` answers the client with access_denied.
 */
async function handleInteraction(req, res, { provider, users, prefix, log }) {
  const uid = decodeURIComponent(pathOnly(req.url).slice(`${prefix}/interaction/`.length));
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    // Missing/expired interaction cookie: the browser has to start over.
    sendHtml(res, 400, page(PAGE_TITLE, `<h1>Sign-in session not found</h1><p>${escapeHtml(err.message)}. Start the sign-in again from Backstage.</p>`));
    return;
  }
  if (details.uid !== uid) {
    sendHtml(res, 400, page(PAGE_TITLE, '<h1>Sign-in session mismatch</h1><p>Start the sign-in again.</p>'));
    return;
  }

  const { params } = details;
  if (req.method === 'GET') {
    sendHtml(res, 200, signInPage({ action: `${prefix}/interaction/${uid}`, users, params }));
    return;
  }
  if (req.method !== 'POST') {
    sendText(res, 405, 'method not allowed');
    return;
  }

  const form = await readForm(req);
  if (form.has('cancel')) {
    log(`issuer: sign-in cancelled for client ${params.client_id}`);
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'End-User cancelled the sign-in' },
      { mergeWithLastSubmission: false },
    );
    return;
  }

  const user = users.find((u) => u.id === form.get('user'));
  if (!user) {
    sendHtml(res, 400, signInPage({ action: `${prefix}/interaction/${uid}`, users, params, error: 'Unknown user, pick one of the buttons.' }));
    return;
  }

  if (details.session?.accountId && details.session.accountId !== user.id) {
    // Switching demo users: end the previous issuer session right here.
    // oidc-provider would otherwise detour through its sign-out confirmation
    // page, and the flow would no longer be one click.
    await (await provider.Session.findByUid(details.session.uid))?.destroy();
    delete details.session;
    await details.save(details.exp - Math.floor(Date.now() / 1000));
  }

  // Consent is implied: grant exactly the OIDC scopes the client asked for.
  const grant = new provider.Grant({ accountId: user.id, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope ?? 'openid'));
  const grantId = await grant.save();

  log(`issuer: ${user.email} signed in for client ${params.client_id}`);
  await provider.interactionFinished(req, res, {
    login: { accountId: user.id },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

function signInPage({ action, users, params, error }) {
  const buttons = users.map((u) => `<button type="submit" name="user" value="${escapeHtml(u.id)}">${escapeHtml(u.name)} (${escapeHtml(u.email)}) — groups: ${escapeHtml(u.groups.join(', ') || 'none')}</button>`);
  return page(PAGE_TITLE, `
<h1>${escapeHtml(PAGE_TITLE)}</h1>
<p>Client <code>${escapeHtml(params.client_id)}</code> asks for <code>${escapeHtml(params.scope ?? '')}</code>. Pick a demo user:</p>
${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">
${buttons.join('\n')}
<button type="submit" name="cancel" value="1" class="cancel">Cancel</button>
</form>`);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}button{display:block;width:100%;margin:.5em 0;padding:.6em;text-align:left;cursor:pointer}.cancel{text-align:center}.error{color:#b00}</style>
</head><body>${body}</body></html>`;
}

/**
 * One log line per token handed out at the token endpoint. Only a short hash
 * identifies the token, never its text.
 */
function logIssuedTokens(provider, log) {
  provider.on('grant.success', (ctx) => {
    const body = ctx.body ?? {};
    const who = subjectOf(body.id_token) ?? ctx.oidc.entities.Account?.accountId ?? 'unknown subject';
    const via = ctx.oidc.params?.grant_type;
    const client = ctx.oidc.client?.clientId;
    for (const kind of ['id_token', 'access_token', 'refresh_token']) {
      if (typeof body[kind] !== 'string') continue;
      const ttl = kind === 'refresh_token' ? '' : `, expires in ${body.expires_in}s`;
      log(`issuer: issued ${kind} for ${who} to ${client} via ${via} (sha256 ${shortHash(body[kind])}${ttl})`);
    }
  });
  provider.on('grant.error', (ctx, err) => log(`issuer: token request failed: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}`));
  provider.on('authorization.error', (ctx, err) => log(`issuer: authorization request failed: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}`));
  provider.on('server_error', (ctx, err) => log(`issuer: server error: ${err.message}`));
}

function subjectOf(jwt) {
  if (typeof jwt !== 'string') return undefined;
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
    return payload.email ?? payload.sub;
  } catch {
    return undefined;
  }
}

function shortHash(text) {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

async function readForm(req, limit = 16 * 1024) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new Error('form body too large');
  }
  return new URLSearchParams(body);
}

function pathOnly(url = '/') {
  const i = url.indexOf('?');
  return i === -1 ? url : url.slice(0, i);
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function sendHtml(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

function sendText(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}


