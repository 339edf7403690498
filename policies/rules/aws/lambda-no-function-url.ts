import type { PolicyRule } from "../../engine";

/** A function URL is a second, public way into the function that bypasses the API stage's throttling and logs. */
export const lambdaNoFunctionUrl: PolicyRule = {
  id: "AWS-LMB-1",
  description: "No Lambda function URLs: cells are reached through their API stage only.",
  resourceType: "aws_lambda_function_url",
  check() {
    return "Lambda function URLs are not allowed; route requests through the cell's API Gateway stage";
  },
};
