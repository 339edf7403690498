import type { PolicyRule } from "../../engine";
import { NOT_LITERAL_POLICY, policyStatements, statementName } from "./iam-policy-document";

/** The actions that read a table's stream (not its items). */
export const DYNAMODB_STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"] as const;

/** `${aws_dynamodb_table.<name>.stream_arn}` or `${aws_dynamodb_table.<name>.arn}/stream/*`. */
const STREAM_REFERENCE = /^\$\{aws_dynamodb_table\.([A-Za-z0-9_-]+)\.(?:stream_arn\}|arn\}\/stream\/\*)$/;

/**
 * Stream reads go to the streams of tables in the same stack, by reference: not `*` (every table's
 * changes in the account), not a hand-written ARN (another cell's stream).
 */
export const iamDynamodbOwnStreams: PolicyRule = {
  id: "AWS-IAM-5",
  description: "Role policy statements with DynamoDB stream actions apply only to the streams of this stack's tables, referenced by ARN.",
  resourceType: "aws_iam_role_policy",
  check(resource, context) {
    const statements = policyStatements(resource.policy);
    if (!statements) return NOT_LITERAL_POLICY;
    const tables = context.resources.aws_dynamodb_table ?? {};
    for (const [i, s] of statements.entries()) {
      if (!s.actions.some((a) => (DYNAMODB_STREAM_ACTIONS as readonly string[]).includes(a))) continue;
      if (s.notResources.length > 0 || s.resources.length === 0) return `${statementName(s, i)} grants stream actions without naming its streams`;
      for (const r of s.resources) {
        const table = STREAM_REFERENCE.exec(r)?.[1];
        if (table === undefined || !(table in tables)) return `${statementName(s, i)} grants stream actions on '${r}'; use \${aws_dynamodb_table.<name>.stream_arn} of a table in this stack`;
      }
    }
    return undefined;
  },
};
