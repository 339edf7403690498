import type { KeySource } from "./ports";

/** A `KeySource` for secrets handed over in configuration: the local sandbox and tests only (deployed cells read a secret store). */
export function staticKeySource(keys: Readonly<Record<string, string>>): KeySource {
  return { secretFor: async (keyId) => (Object.prototype.hasOwnProperty.call(keys, keyId) ? keys[keyId] : undefined) };
}

/** A configured key: its id and where its secret comes from (`kind: "env"` carries the secret itself). */
export interface ConfiguredKey {
  readonly keyId: string;
  readonly secret: { readonly kind: string; readonly secret?: string };
}

/** The `staticKeySource` of the keys whose secrets sit in the configuration itself (`kind: "env"`: the local sandbox and tests). */
export function envKeySource(keys: readonly ConfiguredKey[]): KeySource {
  return staticKeySource(Object.fromEntries(keys.flatMap(({ keyId, secret }) => (secret.kind === "env" && secret.secret !== undefined ? [[keyId, secret.secret]] : []))));
}

/** Shortest signing or admin secret a cell accepts: 16 characters is a floor for hand-set sandbox secrets, not a goal. */
export const MIN_SECRET_LENGTH = 16;
