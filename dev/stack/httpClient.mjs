// A small cookie-keeping HTTP client that walks the sign-in flow the way a
// browser popup does, for the smoke test and the benchmarks of the stack.
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
   * Signs in to the backend's `spectrocloud` provider as `userId` by
   * clicking that user's button on the issuer's sign-in page.
   */
  async signIn({ backendUrl, appUrl, userId }) {
    const start = new URL(`${backendUrl}/api/auth/spectrocloud/start`);
    start.searchParams.set('scope', 'openid profile email');
    start.searchParams.set('origin', appUrl);
    start.searchParams.set('flow', 'popup');
    start.searchParams.set('env', 'development');
    let url = start.href;
    let init = {};
    for (let step = 0; step < 20; step += 1) {
      const response = await this.fetch(url, init);
      init = {};
      if (response.status >= 300 && response.status < 400) {
        url = new URL(response.headers.get('location'), url).href;
        continue;
      }
      const body = await response.text();
      if (new URL(url).pathname.endsWith('/handler/frame')) {
        // The page posts {type:'authorization_response', response|error} to the app.
        if (!body.includes('authorization_response') || /\berror\b/.test(body.replace(/onerror|console\.error/g, ''))) {
          throw new Error(`sign-in did not complete: HTTP ${response.status}`);
        }
        return;
      }
      const form = body.match(/<form[^>]*action="([^"]+)"/);
      if (!form || !body.includes(`value="${userId}"`)) {
        throw new Error(`unexpected page at ${new URL(url).pathname} (HTTP ${response.status})`);
      }
      url = new URL(form[1].replace(/&amp;/g, '&'), url).href;
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ user: userId }).toString(),
      };
    }
    throw new Error('sign-in took more than 20 steps');
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
