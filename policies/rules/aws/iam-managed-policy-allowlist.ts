import type { PolicyRule } from "../../engine";

/**
 * AWS managed policies a cell role may carry. Only for services whose actions have no resource-level
 * permissions (X-Ray); anything else would bypass the named-action and own-table rules.
 */
export const ALLOWED_AWS_MANAGED_POLICIES = ["AWSXRayDaemonWriteAccess"] as const;

const AWS_MANAGED = /^arn:(?:aws|aws-cn|aws-us-gov|\$\{[^}]+\}):iam::aws:policy\/(.+)$/;

export const iamManagedPolicyAllowlist: PolicyRule = {
  id: "AWS-IAM-4",
  description: `Role policy attachments attach only allow-listed AWS managed policies (${ALLOWED_AWS_MANAGED_POLICIES.join(", ")}).`,
  resourceType: "aws_iam_role_policy_attachment",
  check(resource) {
    const arn = String(resource.policy_arn ?? "");
    const name = AWS_MANAGED.exec(arn)?.[1];
    return name !== undefined && (ALLOWED_AWS_MANAGED_POLICIES as readonly string[]).includes(name)
      ? undefined
      : `policy_arn '${arn}' is not an allow-listed AWS managed policy; grant named actions with aws_iam_role_policy`;
  },
};
