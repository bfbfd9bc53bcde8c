// Sign-in resolves users from the catalog, so a backend is ready for the
// browser only once its catalog holds the demo users and the example
// component (dev/catalog.yaml), and any more entities the stack declares. A
// guest token is enough to ask.
import { PieceError } from './errors.ts';
import { COMPONENT, DEMO_USERS } from './demo.ts';
import { poll, tail } from './processes.ts';

export async function waitForCatalog(
  backendUrl: string,
  { timeoutMs, logFile, moreEntityRefs = [] }: { timeoutMs: number; logFile: string; moreEntityRefs?: string[] },
): Promise<void> {
  let token: string | undefined;
  const entityRefs = [...DEMO_USERS.map(user => `user:default/${user.id}`), `component:default/${COMPONENT}`, ...moreEntityRefs];
  const ready = await poll(
    async () => {
      if (!token) {
        const guest = await fetch(`${backendUrl}/api/auth/guest/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest' } });
        token = ((await guest.json()) as { backstageIdentity: { token: string } }).backstageIdentity.token;
      }
      const response = await fetch(`${backendUrl}/api/catalog/entities/by-refs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ entityRefs }),
      });
      const { items } = (await response.json()) as { items: unknown[] };
      return items.every(Boolean);
    },
    { timeoutMs },
  );
  if (!ready) {
    throw new PieceError('catalog', `dev/catalog.yaml (${entityRefs.join(', ')}) was not loaded after ${timeoutMs / 1000} s; last lines of ${logFile}:\n${tail(logFile)}`);
  }
}
