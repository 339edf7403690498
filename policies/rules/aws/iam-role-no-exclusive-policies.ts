import type { PolicyRule } from "../../engine";

/**
 * `inline_policy` and `managed_policy_arns` make the role resource the exclusive owner of its
 * policies (and hide them from the per-policy rules); permissions belong in `aws_iam_role_policy`
 * and `aws_iam_role_policy_attachment` resources.
 */
export const iamRoleNoExclusivePolicies: PolicyRule = {
  id: "AWS-IAM-3",
  description: "Roles get permissions through aws_iam_role_policy / aws_iam_role_policy_attachment, not inline_policy or managed_policy_arns.",
  resourceType: "aws_iam_role",
  check(resource) {
    const used = ["inline_policy", "managed_policy_arns"].filter((k) => resource[k] !== undefined);
    return used.length === 0 ? undefined : `${used.join(" and ")} must not be set; use aws_iam_role_policy resources`;
  },
};
