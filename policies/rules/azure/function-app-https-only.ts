import { forEachFunctionAppType } from "./function-app-types";

/** A Function App redirects plain HTTP to HTTPS; the signed requests and their answers never travel in clear text. */
export const functionAppHttpsOnly = forEachFunctionAppType({
  id: "AZ-FN-1",
  description: "Function Apps accept HTTPS only (https_only = true).",
  check(resource) {
    return resource.https_only === true ? undefined : "https_only must be true; plain HTTP is served otherwise";
  },
});
