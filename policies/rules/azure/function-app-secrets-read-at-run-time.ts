import { AZURE_CELL_ENV } from "../../../cells/azure/config";
import { forEachFunctionAppType } from "./function-app-types";

/** The settings that would carry a cell key's secret (or a Key Vault reference to it). */
const SECRET_SETTINGS = [AZURE_CELL_ENV.signingSecret, AZURE_CELL_ENV.adminSecret];

/**
 * The cell's keys are read from Key Vault at run time with the app's identity (`KEY_VAULT_URL` and
 * `*_SECRET_NAME`), never handed over in app settings, not even as a Key Vault reference: the
 * platform resolves references once, when the app starts, before its system-assigned identity has
 * its Key Vault role, and then keeps the unresolved value for up to 24 hours.
 */
export const functionAppSecretsReadAtRunTime = forEachFunctionAppType({
  id: "AZ-FN-6",
  description: "Function Apps get the cell's keys at run time from Key Vault: no SIGNING_SECRET/ADMIN_SECRET app setting, not even a Key Vault reference.",
  check(resource) {
    const settings = (resource.app_settings ?? {}) as Record<string, unknown>;
    const present = SECRET_SETTINGS.filter((name) => name in settings);
    if (present.length > 0) {
      return `app settings ${present.join(", ")} must not be set; set ${AZURE_CELL_ENV.keyVaultUrl} and ${AZURE_CELL_ENV.signingSecretName}/${AZURE_CELL_ENV.adminSecretName} and let the app read the secrets with its identity`;
    }
    return undefined;
  },
});
