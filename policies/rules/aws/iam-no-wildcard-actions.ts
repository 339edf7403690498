import type { PolicyRule } from "../../engine";
import { NOT_LITERAL_POLICY, policyStatements, statementName } from "./iam-policy-document";

/** Every allowed action is named, so granting a new one is a reviewed change, not a side effect of `*`. */
export const iamNoWildcardActions: PolicyRule = {
  id: "AWS-IAM-1",
  description: "Role policies name each action: no '*' in actions, no NotAction.",
  resourceType: "aws_iam_role_policy",
  check(resource) {
    const statements = policyStatements(resource.policy);
    if (!statements) return NOT_LITERAL_POLICY;
    for (const [i, s] of statements.entries()) {
      if (s.notActions.length > 0) return `${statementName(s, i)} uses NotAction; list the allowed actions instead`;
      const wildcard = s.actions.filter((a) => a.includes("*"));
      if (wildcard.length > 0) return `${statementName(s, i)} has wildcard actions ${wildcard.join(", ")}; name each action`;
    }
    return undefined;
  },
};
