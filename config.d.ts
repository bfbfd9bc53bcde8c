export interface Config {
  kubernetes?: {
    /**
     * Settings of the SpectroCloud auth module for the Kubernetes plugin.
     */
    spectroCloudAuth?: {
      /**
       * The OIDC token-provider name SpectroCloud clusters use: their
       * `oidcTokenProvider` in the config locator, or `oidcAuthProviderName`
       * in the SpectroCloud cluster provider. Must be an HTTP header token
       * without capital letters (the Kubernetes backend lowercases it for pod
       * logs) and not one of the Kubernetes plugin's own providers (gitlab,
       * google, microsoft, okta, onelogin). Defaults to `spectrocloud`.
       *
       * @visibility frontend
       * @pattern ^(?!(gitlab|google|microsoft|okta|onelogin)$)[!#$%&'*+.^_`|~0-9a-z-]+$
       */
      tokenProviderName?: string;
    };
  };
}
