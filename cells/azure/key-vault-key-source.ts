import { SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets";
import type { TokenCredential } from "@azure/identity";
import type { KeySource } from "../core";

/**
 * Where the Azure cell's keys come from in the cloud: Key Vault, read at run time with the Function
 * App's managed identity (role 'Key Vault Secrets User' on the cell's vault). A cell knows exactly its
 * own key ids, the signing key the router uses (e.g. `beta-v1`) and the admin key the operator's
 * `cellctl` uses (e.g. `beta-admin-v1`); any other id is unknown and the request is refused as
 * unauthenticated. Which id may call which route is the core's business, not the key source's.
 *
 * Why not an App Service Key Vault reference (`@Microsoft.KeyVault(SecretUri=...)`): the platform
 * resolves references when the app starts, the app's system-assigned identity only gets its role
 * after the app exists, nothing refreshes a reference that failed, and the platform keeps the
 * unresolved value for up to 24 hours. Reading at run time retries on the next request instead, and
 * gives both clouds the same caching and rotation story (see `SecretsManagerKeySource`).
 */

/** The one Key Vault call the key source makes: Get Secret, latest version. `SecretClient` fits. */
export interface SecretReader {
  getSecret(name: string): Promise<{ readonly value?: string }>;
}

/** One key id and the name of the Key Vault secret that holds its secret. */
export interface KeyVaultKey {
  /** The key id a request names in `x-edge-key-id`. */
  readonly keyId: string;
  /** Name of the secret in the cell's vault, e.g. `signing-key`. */
  readonly secretName: string;
}

export interface KeyVaultKeySourceOptions {
  readonly client: SecretReader;
  /** Every key the cell knows; key ids must be distinct. */
  readonly keys: readonly KeyVaultKey[];
}

/**
 * `KeySource` backed by Azure Key Vault. Each key's secret is fetched on the first request that needs
 * it and then kept for the life of the worker process (one Get Secret per key and cold start).
 * Concurrent first calls for a key share one fetch. A failed fetch (the identity's role not yet
 * propagated, a throttled vault) is not cached, so the next request tries again.
 *
 * Rotating a secret takes effect in new workers only; rotate by adding a new key id (bumping the
 * key's version changes the `*_KEY_ID` app setting, which restarts the app), not by changing the
 * value under an old one.
 */
export class KeyVaultKeySource implements KeySource {
  private readonly secretNames = new Map<string, string>();
  private readonly secrets = new Map<string, Promise<string>>();

  constructor(private readonly options: KeyVaultKeySourceOptions) {
    for (const { keyId, secretName } of options.keys) {
      if (this.secretNames.has(keyId)) throw new Error(`key id '${keyId}' is configured twice; the signing and admin keys need distinct ids`);
      this.secretNames.set(keyId, secretName);
    }
  }

  async secretFor(keyId: string): Promise<string | undefined> {
    const secretName = this.secretNames.get(keyId);
    if (secretName === undefined) return undefined;
    let secret = this.secrets.get(keyId);
    if (secret === undefined) {
      secret = this.fetch(secretName).catch((error: unknown) => {
        this.secrets.delete(keyId);
        throw error;
      });
      this.secrets.set(keyId, secret);
    }
    return secret;
  }

  private async fetch(secretName: string): Promise<string> {
    const { value } = await this.options.client.getSecret(secretName);
    // Say which secret is wrong, never what is in it.
    if (typeof value !== "string" || value.length === 0) throw new Error(`Key Vault secret '${secretName}' has no value`);
    return value;
  }
}

/**
 * The Key Vault client the cell reads its secrets with: the vault's URL and the app's identity.
 * `options` is for tests (a loopback vault's TLS trust, no retries).
 */
export function keyVaultSecretClient(vaultUrl: string, credential: TokenCredential, options: SecretClientOptions = {}): SecretClient {
  return new SecretClient(vaultUrl, credential, options);
}
