import type { PolicyRule } from "../../engine";

/** Without a retention, CloudWatch keeps logs (and bills for them) forever. */
export const logGroupRetention: PolicyRule = {
  id: "AWS-LOG-1",
  description: "CloudWatch log groups set a retention period.",
  resourceType: "aws_cloudwatch_log_group",
  check(resource) {
    const days = resource.retention_in_days;
    return typeof days === "number" && days > 0 ? undefined : `retention_in_days must be set to a number of days, got ${JSON.stringify(days)}`;
  },
};
