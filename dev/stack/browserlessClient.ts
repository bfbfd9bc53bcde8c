// A cookie-keeping HTTP client that walks sign-in flows the way a browser
// popup does: the one sign-in walker of the issuer tests, the stand-ins'
// tests and the smoke test.
import { randomUUID } from 'node:crypto';

/** What to press on the issuer's sign-in page: a demo user's button, or Cancel. */
export type SignInChoice = { user: string } | { cancel: '1' };

export interface OAuthClient {
  client_id: string;
  client_secret: string;
  redirect_uri: string;
}

/** The session the Backstage backend's refresh endpoint hands the frontend. */
export interface BackstageSession {
  providerInfo: { idToken: string; accessToken: string; expiresInSeconds?: number };
  backstageIdentity: { token: string; identity: { userEntityRef: string } };
}

const MAX_STEPS = 20;
// What the SpectroCloud auth module asks the issuer for.
const SCOPES = 'openid profile email';
/** What a client asks for to get a refresh token too. */
export const OFFLINE_SCOPES = `${SCOPES} offline_access`;

export class BrowserlessClient {
  // Cookies are kept per host, not per port, as browsers do.
  readonly #cookies = new Map<string, Map<string, string>>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const { hostname } = new URL(url);
    const jar = this.#cookies.get(hostname) ?? new Map<string, string>();
    const headers = new Headers(init.headers);
    if (jar.size > 0) {
      headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some(a => /^\s*max-age=0\s*$/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.#cookies.set(hostname, jar);
    return response;
  }

  /**
   * Follows redirects from `start`, pressing `choice` when the issuer's sign-in
   * page comes up. Stops before fetching a URL for which `stopAt` is true, or
   * at the first page that is neither a redirect nor a sign-in page offering
   * that choice: where it stopped, the page there (unless it stopped before
   * fetching it) and the issuer's sign-in page if it passed one.
   */
  async walkSignIn(start: string, choice: SignInChoice, { stopAt }: { stopAt?: (url: string) => boolean } = {}) {
    let url = start;
    let init: RequestInit = {};
    let signInPage: string | undefined;
    for (let step = 0; step < MAX_STEPS; step += 1) {
      if (stopAt?.(url)) return { url, signInPage };
      const response = await this.fetch(url, init);
      init = {};
      if (response.status >= 300 && response.status < 400) {
        await response.arrayBuffer();
        url = new URL(response.headers.get('location')!, url).href;
        continue;
      }
      const body = await response.text();
      const action = /<form method="post" action="([^"]+)"/.exec(body)?.[1];
      const offered = 'user' in choice ? body.includes(`name="user" value="${choice.user}"`) : body.includes('name="cancel"');
      if (!action || !offered) return { url, response, body, signInPage };
      signInPage = body;
      url = new URL(action.replace(/&amp;/g, '&'), url).href;
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(choice).toString(),
      };
    }
    throw new Error(`sign-in took more than ${MAX_STEPS} steps`);
  }

  /**
   * Sends `client`'s authorization-code request to the issuer and walks it
   * back to the client's redirect URI, as a browser would; `callback` holds
   * the issuer's answer (`code` or `error`, `state`, `iss`).
   */
  async authorize({
    authorizationUrl,
    client,
    choice,
    scope = SCOPES,
  }: {
    authorizationUrl: string;
    client: Omit<OAuthClient, 'client_secret'>;
    choice: SignInChoice;
    scope?: string;
  }) {
    const state = randomUUID();
    const nonce = randomUUID();
    const start = new URL(authorizationUrl);
    start.search = new URLSearchParams({ client_id: client.client_id, redirect_uri: client.redirect_uri, response_type: 'code', scope, state, nonce }).toString();
    const { url, response, signInPage } = await this.walkSignIn(start.href, choice, { stopAt: next => next.startsWith(client.redirect_uri) });
    if (response) throw new Error(`sign-in did not return to the client (HTTP ${response.status} at ${new URL(url).pathname})`);
    return { callback: new URL(url), signInPage, state, nonce };
  }

  /**
   * Signs in to the backend's auth provider `provider` as `userId`, as the
   * app's sign-in popup does; returns the session the popup hands the app.
   */
  async signIn({ backendUrl, appUrl, userId, provider = 'spectrocloud' }: { backendUrl: string; appUrl: string; userId: string; provider?: string }): Promise<BackstageSession> {
    const start = new URL(`${backendUrl}/api/auth/${provider}/start`);
    start.search = new URLSearchParams({ scope: SCOPES, origin: appUrl, flow: 'popup', env: 'development' }).toString();
    const { url, response, body = '' } = await this.walkSignIn(start.href, { user: userId });
    if (!new URL(url).pathname.endsWith('/handler/frame')) {
      throw new Error(`unexpected page at ${new URL(url).pathname} (HTTP ${response?.status})`);
    }
    // The page posts {type:'authorization_response', response|error} to the app.
    const encoded = /decodeURIComponent\('([^']*)'\)/.exec(body)?.[1];
    const message: { response?: BackstageSession; error?: { message: string } } = encoded ? JSON.parse(decodeURIComponent(encoded)) : {};
    if (!message.response) throw new Error(`sign-in did not complete: ${message.error?.message ?? `HTTP ${response?.status}`}`);
    return message.response;
  }

  /** The session the frontend's OAuth2 client would get from the backend. */
  async refresh(backendUrl: string, provider = 'spectrocloud'): Promise<BackstageSession> {
    const response = await this.fetch(`${backendUrl}/api/auth/${provider}/refresh?optional&env=development`, {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    if (!response.ok) {
      throw new Error(`refresh failed: HTTP ${response.status}`);
    }
    return (await response.json()) as BackstageSession;
  }
}

/** A form POST to an issuer's token endpoint; its status and JSON answer. */
export async function requestTokens(tokenUrl: string, params: Record<string, string>): Promise<{ status: number; body: Record<string, string> }> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

/**
 * The authorization-code flow straight against an issuer, pressing `userId`'s
 * button, with the code exchanged by client_secret_post as the SpectroCloud
 * auth backend module does. Returns the token endpoint's answer.
 */
export async function signInWithAuthorizationCode({
  authorizationUrl,
  tokenUrl,
  client,
  userId,
  scope,
}: {
  authorizationUrl: string;
  tokenUrl: string;
  client: OAuthClient;
  userId: string;
  scope?: string;
}): Promise<Record<string, string>> {
  const { callback, state } = await new BrowserlessClient().authorize({ authorizationUrl, client, choice: { user: userId }, scope });
  const { searchParams } = callback;
  if (searchParams.get('error')) throw new Error(`authorization failed: ${searchParams.get('error')}`);
  if (searchParams.get('state') !== state) throw new Error('state mismatch');

  const { status, body } = await requestTokens(tokenUrl, {
    grant_type: 'authorization_code',
    code: searchParams.get('code')!,
    redirect_uri: client.redirect_uri,
    client_id: client.client_id,
    client_secret: client.client_secret,
  });
  if (status !== 200) throw new Error(`token exchange failed: HTTP ${status} ${body.error}`);
  return body;
}
