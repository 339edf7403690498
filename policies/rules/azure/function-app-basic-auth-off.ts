import { block } from "../../engine";
import { FUNCTION_APP_TYPES_WITHOUT_FTP, forEachFunctionAppType } from "./function-app-types";

/**
 * No username/password publishing: basic auth off for WebDeploy/SCM and for FTP, FTP(S) off. Code
 * reaches the app with Entra ID credentials only. Flex Consumption apps have no FTP endpoint, so only
 * the WebDeploy switch applies to them.
 */
export const functionAppBasicAuthOff = forEachFunctionAppType({
  id: "AZ-FN-3",
  description: "Function Apps have basic publishing authentication (WebDeploy/SCM and FTP) off and FTP(S) disabled.",
  check(resource, type) {
    const problems: string[] = [];
    if (resource.webdeploy_publish_basic_authentication_enabled !== false) problems.push("webdeploy_publish_basic_authentication_enabled must be false");
    if (!FUNCTION_APP_TYPES_WITHOUT_FTP.includes(type)) {
      if (resource.ftp_publish_basic_authentication_enabled !== false) problems.push("ftp_publish_basic_authentication_enabled must be false");
      const ftps = block(resource.site_config)?.ftps_state;
      if (ftps !== undefined && ftps !== "Disabled") problems.push(`site_config.ftps_state must be 'Disabled', got '${String(ftps)}'`);
    }
    return problems.length === 0 ? undefined : problems.join("; ");
  },
});
