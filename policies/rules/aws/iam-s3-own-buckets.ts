import type { PolicyRule } from "../../engine";
import { NOT_LITERAL_POLICY, policyStatements, statementName } from "./iam-policy-document";

/** `${aws_s3_bucket.<name>.arn}` followed by nothing or by `/<key prefix>` (a trailing `*` at most). */
const BUCKET_REFERENCE = /^\$\{aws_s3_bucket\.([A-Za-z0-9_-]+)\.arn\}(\/[^*]*\*?)?$/;

/**
 * S3 rights go to buckets of the same stack, by reference to their ARN, optionally narrowed to a key
 * prefix: not `*`, not `arn:aws:s3:::*`, not another cell's bucket by name.
 */
export const iamS3OwnBuckets: PolicyRule = {
  id: "AWS-IAM-6",
  description: "Role policy statements with S3 actions apply only to this stack's buckets (or key prefixes in them), referenced by ARN.",
  resourceType: "aws_iam_role_policy",
  check(resource, context) {
    const statements = policyStatements(resource.policy);
    if (!statements) return NOT_LITERAL_POLICY;
    const buckets = context.resources.aws_s3_bucket ?? {};
    for (const [i, s] of statements.entries()) {
      if (!s.actions.some((a) => a.toLowerCase().startsWith("s3:"))) continue;
      if (s.notResources.length > 0 || s.resources.length === 0) return `${statementName(s, i)} grants S3 actions without naming its buckets`;
      for (const r of s.resources) {
        const bucket = BUCKET_REFERENCE.exec(r)?.[1];
        if (bucket === undefined || !(bucket in buckets)) return `${statementName(s, i)} grants S3 actions on '${r}'; use \${aws_s3_bucket.<name>.arn}[/<prefix>*] of a bucket in this stack`;
      }
    }
    return undefined;
  },
};
