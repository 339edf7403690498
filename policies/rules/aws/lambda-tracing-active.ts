import { block, type PolicyRule } from "../../engine";

/** Active tracing samples requests into X-Ray, so a slow cell shows where its time goes. */
export const lambdaTracingActive: PolicyRule = {
  id: "AWS-LMB-2",
  description: "Lambda functions have active X-Ray tracing.",
  resourceType: "aws_lambda_function",
  check(resource) {
    return block(resource.tracing_config)?.mode === "Active" ? undefined : "tracing_config.mode must be 'Active'";
  },
};
