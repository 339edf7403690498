import { block, type PolicyRule } from "../../engine";

/** A stage without its own limits lets one noisy tenant use the whole account's API Gateway quota. */
export const apiStageThrottling: PolicyRule = {
  id: "AWS-API-2",
  description: "API Gateway v2 stages set default-route throttling (rate and burst limits above 0).",
  resourceType: "aws_apigatewayv2_stage",
  check(resource) {
    const settings = block(resource.default_route_settings);
    const positive = (v: unknown) => typeof v === "number" && v > 0;
    if (!settings || !positive(settings.throttling_rate_limit) || !positive(settings.throttling_burst_limit)) {
      return "default_route_settings.throttling_rate_limit and throttling_burst_limit must be set above 0";
    }
    return undefined;
  },
};
