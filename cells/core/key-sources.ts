import type { KeySource } from "./ports";

/** A `KeySource` for secrets handed over in configuration: the local sandbox and tests only (deployed cells read a secret store). */
export function staticKeySource(keys: Readonly<Record<string, string>>): KeySource {
  return { secretFor: async (keyId) => (Object.prototype.hasOwnProperty.call(keys, keyId) ? keys[keyId] : undefined) };
}

/** Shortest signing or admin secret a cell accepts: 16 characters is a floor for hand-set sandbox secrets, not a goal. */
export const MIN_SECRET_LENGTH = 16;
