import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { KeySource } from "../core";

/**
 * Where the AWS cell's keys come from. A cell knows exactly its own key ids: the signing key the
 * router uses (e.g. `alpha-v1`) and the admin key the operator's `cellctl` uses (e.g.
 * `alpha-admin-v1`). Any other id is unknown and the request is refused as unauthenticated. Which id
 * may call which route is the core's business, not the key source's.
 */

/** One key id and the Secrets Manager secret that holds its secret. */
export interface SecretsManagerKey {
  /** The key id a request names in `x-edge-key-id`. */
  readonly keyId: string;
  /** ARN (or name) of the secret whose `SecretString` is the key's secret itself, as plain text. */
  readonly secretId: string;
}

export interface SecretsManagerKeySourceOptions {
  readonly client: SecretsManagerClient;
  /** Every key the cell knows; key ids must be distinct. */
  readonly keys: readonly SecretsManagerKey[];
}

/**
 * `KeySource` backed by AWS Secrets Manager. Each key's secret is fetched on the first request that
 * needs it and then kept for the life of the Lambda container (one `GetSecretValue` per key and cold
 * start): verification is on every request's path and Secrets Manager is neither free nor instant.
 * Concurrent first calls for a key share one fetch. A failed fetch is not cached, so the next request
 * tries again.
 *
 * Rotating a secret therefore takes effect in new containers only; rotate by adding a new key id
 * (bumping the key's version changes the id and the function's configuration, which starts new
 * containers), not by changing the value under an old one.
 */
export class SecretsManagerKeySource implements KeySource {
  private readonly secretIds: ReadonlyMap<string, string>;
  private readonly secrets = new Map<string, Promise<string>>();

  constructor(private readonly options: SecretsManagerKeySourceOptions) {
    this.secretIds = knownKeys(options.keys.map(({ keyId, secretId }) => [keyId, secretId]));
  }

  async secretFor(keyId: string): Promise<string | undefined> {
    const secretId = this.secretIds.get(keyId);
    if (secretId === undefined) return undefined;
    let secret = this.secrets.get(keyId);
    if (secret === undefined) {
      secret = this.fetch(secretId).catch((error: unknown) => {
        this.secrets.delete(keyId);
        throw error;
      });
      this.secrets.set(keyId, secret);
    }
    return secret;
  }

  private async fetch(secretId: string): Promise<string> {
    const { SecretString: value } = await this.options.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    // Say which secret is wrong, never what is in it.
    if (typeof value !== "string" || value.length === 0) throw new Error(`secret '${secretId}' has no SecretString`);
    return value;
  }
}

/** The key id -> value map, refusing two keys with one id (one of them would silently win). */
function knownKeys(entries: ReadonlyArray<readonly [string, string]>): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const [keyId, value] of entries) {
    if (map.has(keyId)) throw new Error(`key id '${keyId}' is configured twice; the signing and admin keys need distinct ids`);
    map.set(keyId, value);
  }
  return map;
}
