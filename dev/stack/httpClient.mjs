// A small cookie-keeping HTTP client that walks sign-in flows the way a
// browser popup does, for the stack's tests and smoke test.
import { randomUUID } from 'node:crypto';

export class BrowserlessClient {
  // Cookies are kept per host, not per port, as browsers do.
  #cookies = new Map();

  async fetch(url, init = {}) {
    const { hostname } = new URL(url);
    const jar = this.#cookies.get(hostname) ?? new Map();
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
   * Follows redirects from `url`, clicking `userId`'s button when the
   * issuer's sign-in page comes up. Stops before fetching a URL for which
   * `stopAt` is true (returning just `url`), or at the first page that is
   * neither a redirect nor the sign-in page (returning it).
   */
  async walkSignIn(url, userId, { stopAt = () => false } = {}) {
    let init = {};
    for (let step = 0; step < 20; step += 1) {
      if (stopAt(url)) return { url };
      const response = await this.fetch(url, init);
      init = {};
      if (response.status >= 300 && response.status < 400) {
        await response.arrayBuffer();
        url = new URL(response.headers.get('location'), url).href;
        continue;
      }
      const body = await response.text();
      const form = body.match(/<form[^>]*action="([^"]+)"/);
      if (!form || !body.includes(`value="${userId}"`)) return { url, response, body };
      url = new URL(form[1].replace(/&amp;/g, '&'), url).href;
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ user: userId }).toString(),
      };
    }
    throw new Error('sign-in took more than 20 steps');
  }

  /**
   * Signs in to the backend's `spectrocloud` provider as `userId`, as the
   * app's sign-in popup does.
   */
  async signIn({ backendUrl, appUrl, userId }) {
    const start = new URL(`${backendUrl}/api/auth/spectrocloud/start`);
    start.searchParams.set('scope', 'openid profile email');
    start.searchParams.set('origin', appUrl);
    start.searchParams.set('flow', 'popup');
    start.searchParams.set('env', 'development');
    const { url, response, body } = await this.walkSignIn(start.href, userId);
    if (!new URL(url).pathname.endsWith('/handler/frame')) {
      throw new Error(`unexpected page at ${new URL(url).pathname} (HTTP ${response.status})`);
    }
    // The page posts {type:'authorization_response', response|error} to the app.
    if (!body.includes('authorization_response') || /\berror\b/.test(body.replace(/onerror|console\.error/g, ''))) {
      throw new Error(`sign-in did not complete: HTTP ${response.status}`);
    }
  }

  /** The session the frontend's OAuth2 client would get from the backend. */
  async refresh(backendUrl) {
    const response = await this.fetch(`${backendUrl}/api/auth/spectrocloud/refresh?optional&env=development`, {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    if (!response.ok) {
      throw new Error(`refresh failed: HTTP ${response.status}`);
    }
    return response.json();
  }
}

/**
 * Runs the authorization-code flow straight against an issuer, clicking the
 * button for `userId`, and exchanges the code with client_secret_post as the
 * SpectroCloud auth backend module does. Returns the token endpoint's JSON.
 *
 * @param {object} options
 * @param {string} options.authorizationUrl
 * @param {string} options.tokenUrl
 * @param {{client_id: string, client_secret: string, redirect_uri: string}} options.client
 * @param {string} options.userId
 * @param {string} [options.scope='openid profile email']
 * @param {string} [options.nonce]
 */
export async function signInWithAuthorizationCode({ authorizationUrl, tokenUrl, client, userId, scope = 'openid profile email', nonce = randomUUID() }) {
  const state = randomUUID();
  const start = new URL(authorizationUrl);
  start.search = new URLSearchParams({
    client_id: client.client_id, redirect_uri: client.redirect_uri, response_type: 'code', scope, state, nonce,
  }).toString();

  const { url, response } = await new BrowserlessClient().walkSignIn(start.href, userId, {
    stopAt: next => next.startsWith(client.redirect_uri),
  });
  if (response) throw new Error(`sign-in did not return to the client (HTTP ${response.status})`);

  const { searchParams } = new URL(url);
  if (searchParams.get('error')) throw new Error(`authorization failed: ${searchParams.get('error')}`);
  if (searchParams.get('state') !== state) throw new Error('state mismatch');

  const tokenRes = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: searchParams.get('code'), redirect_uri: client.redirect_uri,
      client_id: client.client_id, client_secret: client.client_secret,
    }).toString(),
  });
  const body = await tokenRes.json();
  if (!tokenRes.ok) throw new Error(`token exchange failed: HTTP ${tokenRes.status} ${body.error}`);
  return body;
}
