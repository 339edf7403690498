import { block, type PolicyRule } from "../../engine";

/** Terraform references whose values are secrets. */
const SECRET_REFERENCE = /\$\{[^}]*(random_password\.|random_string\.|\.secret_string\b|\.secret_binary\b|tls_private_key\.)[^}]*\}/;
/** Variable names that announce a secret; `_ARN`, `_ID` and `_NAME` suffixes name one instead. */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|TOKEN)$/i;

/**
 * Environment variables are readable by anyone who may call `lambda:GetFunctionConfiguration` and end
 * up in the Terraform plan output; functions get a secret's ARN and read the value at run time.
 */
export const lambdaEnvironmentNoSecrets: PolicyRule = {
  id: "AWS-LMB-3",
  description: "Lambda environment variables hold no secret values, only references (ARNs) to them.",
  resourceType: "aws_lambda_function",
  check(resource) {
    const variables = (block(resource.environment)?.variables ?? {}) as Record<string, unknown>;
    const bad = Object.entries(variables)
      .filter(([name, value]) => SECRET_NAME.test(name) || (typeof value === "string" && SECRET_REFERENCE.test(value)))
      .map(([name]) => name);
    return bad.length === 0 ? undefined : `environment variables ${bad.join(", ")} hold secrets; pass the secret's ARN and read it at run time`;
  },
};
