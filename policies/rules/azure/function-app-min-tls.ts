import { block } from "../../engine";
import { forEachFunctionAppType } from "./function-app-types";

const MODERN_TLS = ["1.2", "1.3"];

/** The app and its SCM (deployment) site refuse TLS below 1.2. The app's minimum must be explicit. */
export const functionAppMinTls = forEachFunctionAppType({
  id: "AZ-FN-2",
  description: "Function Apps require TLS 1.2 or later on the app (explicitly) and on the SCM site.",
  check(resource) {
    const site = block(resource.site_config) ?? {};
    const problems: string[] = [];
    if (!MODERN_TLS.includes(String(site.minimum_tls_version))) problems.push(`site_config.minimum_tls_version must be '1.2' or '1.3', got '${String(site.minimum_tls_version)}'`);
    if (site.scm_minimum_tls_version !== undefined && !MODERN_TLS.includes(String(site.scm_minimum_tls_version))) {
      problems.push(`site_config.scm_minimum_tls_version must be '1.2' or '1.3', got '${String(site.scm_minimum_tls_version)}'`);
    }
    return problems.length === 0 ? undefined : problems.join("; ");
  },
});
