import { useCallback, useEffect, useState, type CSSProperties } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { kubernetesApiRef, kubernetesAuthProvidersApiRef, type KubernetesApi } from '@backstage/plugin-kubernetes-react';
import { grantCommand, probeCluster, shownClaims, type ClusterAccess, type ProxyOutcome, type ShownClaims } from './access';
import type { SourceSession, SpectroCloudAuthProviders } from './userSessions';

// Probes run a few clusters at a time, each request with a deadline.
const CLUSTERS_AT_ONCE = 3;
const REQUEST_TIMEOUT_MS = 10_000;

type SourceState = SourceSession & { claims?: ShownClaims; problem?: string };
type ClusterRow = { name: string; authProvider: string; oidcTokenProvider?: string; source?: SourceState; access?: ClusterAccess; note?: string };

const cell: CSSProperties = { textAlign: 'left', verticalAlign: 'top', padding: '6px 12px 6px 0' };
const card: CSSProperties = { border: '1px solid rgba(128, 128, 128, 0.4)', borderRadius: 4, padding: '8px 16px', marginBottom: 16 };

// Runs `task` on each item, `size` at a time.
async function inBatches<T>(items: T[], size: number, task: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(task));
}

function timeLeft(exp: number) {
  const minutes = Math.round((exp * 1000 - Date.now()) / 60_000);
  return minutes >= 0 ? `in ${minutes} min` : `${-minutes} min ago`;
}

function claimText(name: string, value: unknown) {
  if ((name === 'iat' || name === 'exp') && typeof value === 'number') {
    const at = new Date(value * 1000).toISOString();
    return name === 'exp' ? `${at} (${timeLeft(value)})` : at;
  }
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function poster(kubernetesApi: KubernetesApi, clusterName: string) {
  return async (path: string, body: object): Promise<ProxyOutcome> => {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await kubernetesApi.proxy({
        clusterName,
        path,
        init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: deadline.signal },
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: the status says enough.
      }
      return { status: response.status, body: parsed };
    } catch (error) {
      // This module's own errors (no session, an expired token) name their fix.
      if (/^SpectroCloud/.test((error as Error).name)) return { notSent: (error as Error).message };
      return { unreachable: deadline.signal.aborted ? `no answer in ${REQUEST_TIMEOUT_MS / 1000} s` : String((error as Error).message) };
    } finally {
      clearTimeout(timer);
    }
  };
}

async function readSource(session: SourceSession): Promise<SourceState> {
  try {
    const token = await session.auth.getIdToken({ optional: true });
    return { ...session, claims: token ? shownClaims(token) : undefined };
  } catch (error) {
    return { ...session, problem: (error as Error).message };
  }
}

function PodsAccessText({ access }: { access: ClusterAccess }) {
  return (
    <>
      {access.pods.map(({ namespace, allowed, reason }) => (
        <div key={namespace ?? ''}>
          {allowed ? 'May' : 'May not'} list pods {namespace ? `in ${namespace}` : 'cluster-wide'}
          {reason && `: ${reason}`}
          {!allowed && access.identity && (
            <div>
              To allow it, a cluster admin runs <code>{grantCommand(access.identity.username, namespace)}</code>, or binds a role to one of the groups.
            </div>
          )}
        </div>
      ))}
    </>
  );
}

/** The Kubernetes access page: each SpectroCloud session, and who it makes the user on each cluster. */
export function AccessPage() {
  const providers = useApi(kubernetesAuthProvidersApiRef);
  const kubernetesApi = useApi(kubernetesApiRef);
  // Undefined when another extension provides the providers API.
  const sessions = (providers as Partial<SpectroCloudAuthProviders>).sessions;
  const [sources, setSources] = useState<SourceState[]>();
  const [clusters, setClusters] = useState<ClusterRow[]>();
  const [clustersProblem, setClustersProblem] = useState<string>();
  const [namespace, setNamespace] = useState('');
  const [round, setRound] = useState(0);
  const checkAgain = useCallback(() => setRound(r => r + 1), []);

  useEffect(() => {
    if (!sessions) return undefined;
    let live = true;
    (async () => {
      const read = await Promise.all(sessions.map(readSource));
      if (!live) return;
      setSources(read);
      setClustersProblem(undefined);
      let listed: ClusterRow[];
      try {
        listed = (await kubernetesApi.getClusters()).map(({ name, authProvider, oidcTokenProvider }) => ({
          name,
          authProvider,
          oidcTokenProvider,
          source: authProvider === 'oidc' ? read.find(s => s.source.name === oidcTokenProvider) : undefined,
        }));
      } catch (error) {
        if (live) setClustersProblem((error as Error).message);
        return;
      }
      const rows = listed.map(row => {
        if (!row.source) return { ...row, note: 'Not checked: its credentials do not come from SpectroCloud.' };
        if (!row.source.claims) return { ...row, note: `Not signed in with ${row.source.source.title}: sign in above, then check again.` };
        return row;
      });
      if (!live) return;
      setClusters(rows);
      const namespaces = [undefined, ...(namespace.trim() ? [namespace.trim()] : [])];
      const toProbe = rows.filter(row => !row.note);
      await inBatches(toProbe, CLUSTERS_AT_ONCE, async row => {
        if (!live) return;
        const access = await probeCluster(row.name, poster(kubernetesApi, row.name), row.source!.claims!, namespaces);
        if (live) setClusters(current => current?.map(other => (other.name === row.name ? { ...other, access } : other)));
      });
    })();
    return () => {
      live = false;
    };
    // The namespace is read when checking, not on every keystroke.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sessions, kubernetesApi, round]);

  if (!sessions) {
    return <p role="alert">Another extension provides the Kubernetes auth providers API, so this page cannot show the SpectroCloud sessions. See KubernetesAuthProvidersOverriddenError in the module's README.</p>;
  }

  // A sign-in or sign-out of one source, then every check again.
  const thenCheck = (what: string, action: () => Promise<unknown>, state: SourceState) => async () => {
    try {
      await action();
    } catch (error) {
      setSources(current => current?.map(s => (s.source === state.source ? { ...s, problem: `${what} did not complete (${(error as Error).name}).` } : s)));
      return;
    }
    checkAgain();
  };

  return (
    <div style={{ padding: 24 }}>
      <p>
        Who you are on each Kubernetes cluster that gets your SpectroCloud ID token, as the cluster itself says. The claims below are read in this
        browser from your ID token and are not verified: the cluster decides.
      </p>
      <h2>SpectroCloud sessions</h2>
      {!sources && <p>Reading sessions…</p>}
      {sources?.map(state => (
        <section key={state.source.name} style={card} aria-label={state.source.title}>
          <h3>
            {state.source.title} <small>(oidcTokenProvider: {state.source.name})</small>
          </h3>
          <p>{state.claims ? `Signed in as ${claimText('email', state.claims.email ?? state.claims.sub)}.` : 'Not signed in.'}</p>
          {state.problem && <p role="alert">{state.problem}</p>}
          {state.claims && (
            <table>
              <tbody>
                {Object.entries(state.claims).map(([name, value]) => (
                  <tr key={name}>
                    <th style={cell}>{name}</th>
                    <td style={cell}>{claimText(name, value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {state.claims && state.session.signOut ? (
            <button type="button" onClick={thenCheck('Sign-out', () => state.session.signOut!(), state)}>
              Sign out of {state.source.title}
            </button>
          ) : (
            !state.claims && (
              <button type="button" onClick={thenCheck('Sign-in', () => state.auth.getIdToken(), state)}>
                Sign in with {state.source.title}
              </button>
            )
          )}
        </section>
      ))}
      <h2>Clusters</h2>
      <p>
        <label>
          Also check namespace <input value={namespace} onChange={event => setNamespace(event.target.value)} />
        </label>{' '}
        <button type="button" onClick={checkAgain}>
          Check again
        </button>
      </p>
      {clustersProblem && <p role="alert">The Kubernetes backend did not list its clusters: {clustersProblem}</p>}
      {clusters && (
        <table>
          <thead>
            <tr>
              {['Cluster', 'Credentials', 'Who the cluster says you are', 'Pods', 'Notes'].map(title => (
                <th key={title} style={cell}>
                  {title}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {clusters.map(row => (
              <tr key={row.name} aria-label={row.name}>
                <th style={cell}>{row.name}</th>
                <td style={cell}>{row.oidcTokenProvider ? `${row.authProvider} (${row.oidcTokenProvider})` : row.authProvider}</td>
                <td style={cell}>
                  {row.access?.identity && (
                    <>
                      {row.access.identity.username}
                      <div>groups: {row.access.identity.groups.join(', ') || 'none'}</div>
                    </>
                  )}
                </td>
                <td style={cell}>{row.access && <PodsAccessText access={row.access} />}</td>
                <td style={cell}>{row.note ?? (row.access ? row.access.notes.join(' ') : 'Checking…')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
