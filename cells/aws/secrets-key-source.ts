import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { KeySource } from "../core";

/**
 * Where the AWS cell's request-signing secret comes from. A cell knows exactly one key id (its own,
 * e.g. `alpha-v1`); any other id is unknown and the request is refused as unauthenticated.
 */

export interface SecretsManagerKeySourceOptions {
  readonly client: SecretsManagerClient;
  /** ARN (or name) of the secret whose `SecretString` is the signing secret itself, as plain text. */
  readonly secretId: string;
  /** The key id the router names in `x-edge-key-id` for this secret. */
  readonly keyId: string;
}

/**
 * `KeySource` backed by AWS Secrets Manager. The secret is fetched on the first request that needs it
 * and then kept for the life of the Lambda container (one `GetSecretValue` per cold start): signing
 * is on every request's path and Secrets Manager is neither free nor instant. Concurrent first calls
 * share one fetch. A failed fetch is not cached, so the next request tries again.
 *
 * Rotating the secret therefore takes effect in new containers only; rotate by adding a new key id
 * (router and cell), not by changing the value under an old one.
 */
export class SecretsManagerKeySource implements KeySource {
  private secret?: Promise<string>;

  constructor(private readonly options: SecretsManagerKeySourceOptions) {}

  async secretFor(keyId: string): Promise<string | undefined> {
    if (keyId !== this.options.keyId) return undefined;
    this.secret ??= this.fetch().catch((error: unknown) => {
      this.secret = undefined;
      throw error;
    });
    return this.secret;
  }

  private async fetch(): Promise<string> {
    const { SecretString: value } = await this.options.client.send(new GetSecretValueCommand({ SecretId: this.options.secretId }));
    // Say which secret is wrong, never what is in it.
    if (typeof value !== "string" || value.length === 0) throw new Error(`secret '${this.options.secretId}' has no SecretString`);
    return value;
  }
}
