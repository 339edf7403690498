import { AZURE_CELL_ENV } from "../../../cells/azure/config";
import { forEachFunctionAppType } from "./function-app-types";

/** App Service Key Vault reference: the platform resolves it; the setting holds no secret. */
const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\((SecretUri=|VaultName=).+\)$/;
/** Setting names that announce a secret; `_ID`, `_NAME`, `_URI` and `_ENDPOINT` suffixes name one instead. */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|_KEY|TOKEN|CONNECTION_?STRING)$/i;
/** Terraform references whose values are secrets or keys. */
const SECRET_REFERENCE =
  /\$\{[^}]*(random_password\.|random_string\.|\.(primary|secondary)_(access_key|key|connection_string|sql_connection_string|blob_connection_string|master_key)\b|\.connection_strings\b|azurerm_key_vault_secret\.[^.}]+\.value\b)[^}]*\}/;
/** Key material written out literally. */
const LITERAL_SECRET = /AccountKey=[^;]|SharedAccessSignature=|[?&]sig=/;

/**
 * App settings are readable by anyone with `Microsoft.Web/sites/config/list/action` and appear in the
 * Terraform plan: they may name or reference a secret, never carry one. `SIGNING_SECRET` in
 * particular must be a Key Vault reference.
 */
export const functionAppSettingsNoSecrets = forEachFunctionAppType({
  id: "AZ-FN-5",
  description: "Function App settings hold no secret values: secret-named settings (SIGNING_SECRET included) are Key Vault references.",
  check(resource) {
    const settings = (resource.app_settings ?? {}) as Record<string, unknown>;
    const bad = Object.entries(settings)
      .filter(([name, value]) => {
        const text = typeof value === "string" ? value : JSON.stringify(value);
        const isReference = KEY_VAULT_REFERENCE.test(text);
        if (name === AZURE_CELL_ENV.signingSecret && !isReference) return true;
        if (SECRET_NAME.test(name) && text !== "" && !isReference) return true;
        return SECRET_REFERENCE.test(text) || LITERAL_SECRET.test(text);
      })
      .map(([name]) => name);
    return bad.length === 0 ? undefined : `app settings ${bad.join(", ")} hold secrets; use a Key Vault reference (@Microsoft.KeyVault(SecretUri=...)) or a managed identity`;
  },
});
