// Local stand-in for SpectroCloud Palette's per-tenant OIDC issuer, built on
// `oidc-provider` (a certified OpenID Provider), so discovery, JWKS, code
// exchange, client authentication and refresh behave like a real issuer. Only
// the sign-in UI is ours: a one-click picker of demo users, for scripts and
// people. It binds to 127.0.0.1; its keys are made at start, in memory only.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { text } from 'node:stream/consumers';

import { SignJWT, decodeJwt, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

import type { DemoUser } from '../lib/demo.ts';
import { HOST, closeServer, listen } from '../lib/loopback.ts';

const pathOnly = (url = '/') => url.split('?')[0];

export interface IssuerClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface StartedIssuer {
  /** e.g. http://127.0.0.1:PORT/v1/oidc/tenant/demo */
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
  jwksUri: string;
  /** Palette's discovery URL: `<issuer>/.well-known/openid-configuration`. */
  metadataUrl: string;
  /** Lifetime of the ID and access tokens issued from now on. */
  setTokenLifetime: (seconds: number) => void;
  /** Switches the `paletteRefreshToken` behaviour. */
  answerLikePalette: (on: boolean) => void;
  /** Answers as `variant` from the next sign-in or refresh on. */
  setVariant: (variant: PaletteVariant) => void;
  close: () => Promise<void>;
}

/**
 * How a Palette tenant may differ from the one the README's config is
 * written for; nobody here knows which a real tenant does. Each field's
 * default is the README's assumption.
 */
export interface PaletteVariant {
  /** `email_verified` in the claims, or `absent` to leave it out; default `true`. */
  emailVerified?: 'true' | 'false' | 'absent';
  /** Refresh tokens for clients that ask for `offline_access`; default true. */
  refreshTokens?: boolean;
  /** The `groups` claim; default true. */
  groups?: boolean;
}

export interface IssuerOptions {
  clients: IssuerClient[];
  users: DemoUser[];
  /** Lifetime of ID and access tokens; default one hour. */
  idTokenTtlSeconds?: number;
  /** Answer like Palette: `refresh_token` is its HS256 session token, whatever the scopes; answerLikePalette() switches it. */
  paletteRefreshToken?: boolean;
  variant?: PaletteVariant;
  log?: (line: string) => void;
}

const PAGE_TITLE = 'SpectroCloud (local stand-in) sign-in';
// Palette serves each tenant's issuer below this path, so the provider is
// mounted there instead of at the root.
const TENANT_PATH = '/v1/oidc/tenant/demo';
const DAY = 24 * 60 * 60;
const TEXT = 'text/plain; charset=utf-8';
const HTML = 'text/html; charset=utf-8';

export async function startIssuer({
  clients,
  users,
  idTokenTtlSeconds = 3600,
  paletteRefreshToken = false,
  variant: initialVariant = {},
  log = console.log,
}: IssuerOptions): Promise<StartedIssuer> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), kid: `standin-${randomUUID()}`, alg: 'RS256', use: 'sig' };
  // What setVariant() and setTokenLifetime() change; read at every issue, so they apply to the next token.
  const live = { variant: initialVariant, ttl: idTokenTtlSeconds };
  // The issuer URL holds the port, known only once listening. The provider and
  // the request handler follow in the same tick, so no request can come in
  // before them.
  const server = http.createServer();
  const issuer = `http://${HOST}:${await listen(server, 0)}${TENANT_PATH}`;

  const provider = new Provider(issuer, providerConfiguration(clients, users, signingJwk, live));
  logIssuedTokens(provider, log);
  let answeringLikePalette = paletteRefreshToken;
  const sessionTokenSecret = randomBytes(32);
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path !== '/token' || ctx.method !== 'POST' || ctx.status !== 200) return;
    const body = ctx.body as Record<string, unknown>;
    if (answeringLikePalette && typeof body.id_token === 'string') {
      body.refresh_token = await paletteSessionToken(body.id_token, sessionTokenSecret, live.ttl);
      log('issuer: answered like Palette, with an HS256 session token as refresh_token');
    }
  });
  // After provider.use: the callback composes the middleware there is then.
  const providerCallback = provider.callback();

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const path = pathOnly(req.url);
    if (path === `${TENANT_PATH}/auth` && live.variant.refreshTokens !== false) requestConsentForOfflineAccess(req);
    if (path.startsWith(`${TENANT_PATH}/interaction/`)) {
      await handleInteraction(req, res, { provider, users, log });
      return;
    }
    if (path === TENANT_PATH || path.startsWith(`${TENANT_PATH}/`)) {
      // Express-style mount: oidc-provider builds its absolute URLs (discovery,
      // redirects to /auth/<uid> resume) from `req.baseUrl` + its own route.
      Object.assign(req, { baseUrl: TENANT_PATH });
      const rest = (req.url ?? '/').slice(TENANT_PATH.length);
      req.url = rest.startsWith('/') ? rest : `/${rest}`;
      providerCallback(req, res);
      return;
    }
    send(res, 404, TEXT, 'not found');
  }

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((error: Error) => {
      log(`issuer: internal error on ${req.method} ${pathOnly(req.url)}: ${error.message}`);
      if (!res.headersSent) send(res, 500, TEXT, 'internal error');
      else res.end();
    });
  });

  return {
    issuer,
    authorizationUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    jwksUri: `${issuer}/jwks`,
    metadataUrl: `${issuer}/.well-known/openid-configuration`,
    setTokenLifetime: seconds => { live.ttl = seconds; },
    answerLikePalette: on => { answeringLikePalette = on; },
    setVariant: variant => { live.variant = variant; },
    close: () => closeServer(server),
  };
}

/**
 * A client that asks for `offline_access` gets a refresh token, as the
 * renewing backend expects of Palette. oidc-provider follows OpenID Connect
 * Core and drops that scope unless the request also asks for consent, so the
 * stand-in adds that.
 */
function requestConsentForOfflineAccess(req: http.IncomingMessage) {
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const scopes = (url.searchParams.get('scope') ?? '').split(' ');
  const prompts = (url.searchParams.get('prompt') ?? '').split(' ').filter(Boolean);
  if (!scopes.includes('offline_access') || prompts.includes('consent') || prompts.includes('none')) return;
  url.searchParams.set('prompt', [...prompts, 'consent'].join(' '));
  req.url = url.pathname + url.search;
}

/**
 * What Palette puts in `refresh_token`: its own session token, a JWT signed
 * with HS256 under a secret only Palette knows, about the ID token's user.
 */
async function paletteSessionToken(idToken: string, secret: Uint8Array, ttlSeconds: number): Promise<string> {
  const { email, sub } = decodeJwt(idToken);
  return new SignJWT({ email, sub: String(email ?? sub) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(secret);
}

/** Everything oidc-provider needs, with keys created fresh for this process. */
function providerConfiguration(clients: IssuerClient[], users: DemoUser[], signingJwk: JWK, live: { variant: PaletteVariant; ttl: number }): Configuration {
  const usersById = new Map(users.map(user => [user.id, user]));

  return {
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },

    clients: clients.map(client => ({
      token_endpoint_auth_method: 'client_secret_basic',
      ...client,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
    })),

    findAccount: (_ctx, sub) => {
      const user = usersById.get(sub);
      return user && { accountId: user.id, claims: () => userClaims(user, live.variant) };
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
    // Refresh tokens go to clients that ask for offline_access (oidc-provider's
    // default; see requestConsentForOfflineAccess). The published SpectroCloud module sends no PKCE parameters; Backstage's
    // OIDC authenticator sends S256 ones, which are then checked.
    pkce: { required: () => false },
    // Palette-like: authorization-code flow only.
    responseTypes: ['code'],

    features: { devInteractions: { enabled: false } },
    interactions: {
      url: (_ctx, interaction) => `${TENANT_PATH}/interaction/${interaction.uid}`,
      policy: interactionPolicyAlwaysPicking(),
    },

    ttl: {
      AccessToken: () => live.ttl,
      IdToken: () => live.ttl,
      AuthorizationCode: 60,
      Interaction: 10 * 60,
      RefreshToken: DAY,
      Session: DAY,
      Grant: DAY,
    },

    // The default error page pulls a web font from the internet; keep it local.
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      const lines = Object.entries(out).map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`);
      ctx.body = page('Sign-in error', `<h1>Sign-in error</h1>${lines.join('')}`);
    },
  };
}

function userClaims(user: DemoUser, variant: PaletteVariant) {
  const [givenName, ...rest] = user.name.split(' ');
  const emailVerified = variant.emailVerified ?? 'true';
  return {
    sub: user.id,
    email: user.email,
    ...(emailVerified !== 'absent' && { email_verified: emailVerified === 'true' && (user.emailVerified ?? true) }),
    name: user.name,
    // The SpectroCloud auth module builds its display name from these two.
    given_name: givenName,
    family_name: rest.join(' ') || undefined,
    ...(variant.groups !== false && { groups: [...user.groups] }),
  };
}

/**
 * Default policy plus one login check: show the user picker on every
 * authorization request (except prompt=none), so switching between demo users
 * in a browser needs no sign-out.
 */
function interactionPolicyAlwaysPicking() {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(
    new interactionPolicy.Check('standin_pick_user', 'a demo user must be picked', 'login_required', ({ oidc }: KoaContextWithOIDC) =>
      oidc.result?.login || oidc.prompts.has('none') ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT,
    ),
  );
  return policy;
}

/**
 * GET renders the picker; POST `user=<id>` signs in and grants consent in one
 * step; POST `cancel=1` answers the client with access_denied.
 */
async function handleInteraction(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  { provider, users, log }: { provider: Provider; users: DemoUser[]; log: (line: string) => void },
) {
  const uid = decodeURIComponent(pathOnly(req.url).slice(`${TENANT_PATH}/interaction/`.length));
  const action = `${TENANT_PATH}/interaction/${uid}`;
  // Without its interaction cookie (missing, expired, another sign-in's) the browser has to start over.
  const details = await provider.interactionDetails(req, res).catch(() => undefined);
  if (details?.uid !== uid) {
    send(res, 400, HTML, page(PAGE_TITLE, '<h1>Sign-in session not found</h1><p>Start the sign-in again from Backstage.</p>'));
    return;
  }

  const clientId = String(details.params.client_id);
  const scope = String(details.params.scope ?? '');
  if (req.method === 'GET') {
    send(res, 200, HTML, signInPage({ action, users, clientId, scope }));
    return;
  }
  if (req.method !== 'POST') {
    send(res, 405, TEXT, 'method not allowed');
    return;
  }

  const form = new URLSearchParams(await text(req));
  if (form.has('cancel')) {
    log(`issuer: sign-in cancelled for client ${clientId}`);
    const result = { error: 'access_denied', error_description: 'End-User cancelled the sign-in' };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }

  const user = users.find(candidate => candidate.id === form.get('user'));
  if (!user) {
    send(res, 400, HTML, signInPage({ action, users, clientId, scope, error: 'Unknown user, pick one of the buttons.' }));
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
  const grant = new provider.Grant({ accountId: user.id, clientId });
  grant.addOIDCScope(scope || 'openid');
  const grantId = await grant.save();

  log(`issuer: ${user.email} signed in for client ${clientId}`);
  await provider.interactionFinished(req, res, { login: { accountId: user.id }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

function signInPage({ action, users, clientId, scope, error }: { action: string; users: DemoUser[]; clientId: string; scope: string; error?: string }) {
  const buttons = users.map(
    user => `<button type="submit" name="user" value="${escapeHtml(user.id)}">${escapeHtml(user.name)} (${escapeHtml(user.email)}) — groups: ${escapeHtml(user.groups.join(', ') || 'none')}</button>`,
  );
  return page(
    PAGE_TITLE,
    `
<h1>${escapeHtml(PAGE_TITLE)}</h1>
<p>Client <code>${escapeHtml(clientId)}</code> asks for <code>${escapeHtml(scope)}</code>. Pick a demo user:</p>
${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">
${buttons.join('\n')}
<button type="submit" name="cancel" value="1" class="cancel">Cancel</button>
</form>`,
  );
}

function page(title: string, body: string) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}button{display:block;width:100%;margin:.5em 0;padding:.6em;text-align:left;cursor:pointer}.cancel{text-align:center}.error{color:#b00}</style>
</head><body>${body}</body></html>`;
}

/**
 * One log line per token handed out at the token endpoint. Only a short hash
 * identifies the token, never its text.
 */
function logIssuedTokens(provider: Provider, log: (line: string) => void) {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const body = (ctx.body ?? {}) as Record<string, unknown>;
    const who = subjectOf(body.id_token) ?? ctx.oidc.entities.Account?.accountId ?? 'unknown subject';
    const via = ctx.oidc.params?.grant_type;
    const client = ctx.oidc.client?.clientId;
    for (const kind of ['id_token', 'access_token', 'refresh_token']) {
      const token = body[kind];
      if (typeof token !== 'string') continue;
      const ttl = kind === 'refresh_token' ? '' : `, expires in ${body.expires_in}s`;
      log(`issuer: issued ${kind} for ${who} to ${client} via ${via} (sha256 ${shortHash(token)}${ttl})`);
    }
  });
  const describe = (error: Error & { error_description?: string }) =>
    `${error.message}${error.error_description ? ` (${error.error_description})` : ''}`;
  provider.on('grant.error', (_ctx, error) => log(`issuer: token request failed: ${describe(error)}`));
  provider.on('authorization.error', (_ctx, error) => log(`issuer: authorization request failed: ${describe(error)}`));
  provider.on('server_error', (_ctx, error) => log(`issuer: server error: ${error.message}`));
}

function subjectOf(jwt: unknown): unknown {
  return typeof jwt === 'string' ? (decodeJwt(jwt).email ?? decodeJwt(jwt).sub) : undefined;
}

function shortHash(value: string) {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}

function escapeHtml(value: unknown) {
  const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  return String(value).replace(/[&<>"']/g, c => entities[c]);
}

function send(res: http.ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
