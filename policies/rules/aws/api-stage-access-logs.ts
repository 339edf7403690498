import { block, type PolicyRule } from "../../engine";

/** Access logs are the only record of requests the function never saw (throttled, failed integration). */
export const apiStageAccessLogs: PolicyRule = {
  id: "AWS-API-1",
  description: "API Gateway v2 stages write access logs (destination and format).",
  resourceType: "aws_apigatewayv2_stage",
  check(resource) {
    const logs = block(resource.access_log_settings);
    if (!logs) return "access_log_settings must be set";
    if (typeof logs.destination_arn !== "string" || logs.destination_arn === "") return "access_log_settings.destination_arn must name a log group";
    if (typeof logs.format !== "string" || logs.format === "") return "access_log_settings.format must be set";
    return undefined;
  },
};
