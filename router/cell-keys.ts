import { KEY_ID_PATTERN, err, isKeyId, ok, type Result, type SigningKey } from "../contract";
import { cellKeyBinding, type CellKeyBindings } from "./bindings";

/** The signing key of a cell, or why there is none. The routing logic refuses to call a cell without one. */
export type KeyLookup = (cellId: string) => Result<SigningKey>;

/**
 * Reads cell keys from the Worker's secret bindings (`CELL_KEY_<ID>`, JSON `{"keyId","secret"}`).
 * Error messages name the binding, never its value.
 */
export function bindingKeyLookup(bindings: CellKeyBindings): KeyLookup {
  return (cellId) => {
    const name = cellKeyBinding(cellId);
    const raw: unknown = bindings[name];
    if (raw === undefined || raw === null) return err(`no key binding ${name} for cell '${cellId}'`);
    if (typeof raw !== "string") return err(`key binding ${name} is not a string`);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return err(`key binding ${name} is not valid JSON`);
    }
    const { keyId, secret } = (typeof value === "object" && value !== null ? value : {}) as { keyId?: unknown; secret?: unknown };
    if (!isKeyId(keyId)) return err(`key binding ${name} has no keyId matching ${KEY_ID_PATTERN}`);
    if (typeof secret !== "string" || secret.length === 0) return err(`key binding ${name} has no secret`);
    return ok({ keyId, secret });
  };
}
