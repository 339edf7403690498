import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";

/** Name of the sensitive output every cell stack exports its admin key under. */
export const ADMIN_KEY_OUTPUT = "admin-key";

/**
 * The cell's admin key as a sensitive stack output, `{ "keyId": "<cellId>-admin-v<n>", "secret": "..." }`,
 * for the operator's `cellctl` (`terraform output -json admin-key` in the stack's folder, or
 * `cdktf output <stack> --outputs-file <file> --outputs-file-include-sensitive-outputs`). Sensitive,
 * so plans and `cdktf deploy` never print it; it is in the stack's state, like every generated secret.
 * The edge stack has no way to it: cells hand the router `ICell`, which has no admin key.
 */
export function adminKeyOutput(scope: Construct, cell: { readonly adminKeyId: string; readonly adminSecret: string }): TerraformOutput {
  return new TerraformOutput(scope, ADMIN_KEY_OUTPUT, {
    value: { keyId: cell.adminKeyId, secret: cell.adminSecret },
    sensitive: true,
    description: "The cell's admin key ({keyId, secret}) for the operator's cellctl; the router never holds it",
  });
}
