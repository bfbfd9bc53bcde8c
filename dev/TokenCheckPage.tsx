import { useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { kubernetesAuthProvidersApiRef } from '@backstage/plugin-kubernetes-react';

const PROVIDERS = ['oidc.spectrocloud', 'oidc.okta', 'serviceAccount'];

/**
 * Asks the Kubernetes auth providers for credentials the way the Kubernetes
 * tab does, and shows the outcome without ever showing a token.
 */
export function TokenCheckPage() {
  const authProviders = useApi(kubernetesAuthProvidersApiRef);
  const [outcomes, setOutcomes] = useState<Record<string, string>>({});

  const check = async (provider: string) => {
    let outcome: string;
    try {
      const { token } = await authProviders.getCredentials(provider);
      outcome = token ? `token received (${token.length} characters, not shown)` : 'no token needed';
    } catch (error) {
      outcome = `error: ${(error as Error).message}`;
    }
    setOutcomes(previous => ({ ...previous, [provider]: outcome }));
  };

  return (
    <div style={{ padding: 24 }}>
      <h2>Kubernetes credentials by auth provider</h2>
      <ul>
        {PROVIDERS.map(provider => (
          <li key={provider}>
            <button type="button" onClick={() => check(provider)}>
              {provider}
            </button>{' '}
            <span data-testid={provider}>{outcomes[provider] ?? ''}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
