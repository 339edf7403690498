import type { PolicyRule } from "../../engine";

/** A permission without a named principal and source is an open door, e.g. a public function URL. */
export const lambdaPermissionScoped: PolicyRule = {
  id: "AWS-LMB-4",
  description: "Lambda permissions name one principal (no wildcard) and the source ARN allowed to invoke.",
  resourceType: "aws_lambda_permission",
  check(resource) {
    const principal = resource.principal;
    if (typeof principal !== "string" || principal.includes("*")) return `principal must name one account or service, got '${String(principal)}'`;
    if (typeof resource.source_arn !== "string" || resource.source_arn === "") return "source_arn must name the API (or other source) allowed to invoke";
    if (resource.function_url_auth_type !== undefined) return "function URL permissions are not allowed";
    return undefined;
  },
};
