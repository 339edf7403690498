import type { PolicyRule } from "../../engine";
import { DYNAMODB_STREAM_ACTIONS } from "./iam-dynamodb-own-streams";
import { NOT_LITERAL_POLICY, policyStatements, statementName } from "./iam-policy-document";

/** `${aws_dynamodb_table.<name>.arn}`, optionally followed by `/index/<one named index>` (never an index wildcard). */
const TABLE_ARN_REFERENCE = /^\$\{aws_dynamodb_table\.([A-Za-z0-9_-]+)\.arn\}(?:\/index\/[A-Za-z0-9_.-]+)?$/;

/**
 * DynamoDB rights go to tables of the same stack, by reference to their `arn` (or one named index
 * of such a table): not `*`, not a hand-written ARN (another cell's table), not the stream, not an
 * index wildcard. Stream reads are AWS-IAM-5's: a statement of stream actions only is left to it.
 */
export const iamDynamodbOwnTables: PolicyRule = {
  id: "AWS-IAM-2",
  description: "Role policy statements with DynamoDB actions apply only to this stack's tables, referenced by ARN.",
  resourceType: "aws_iam_role_policy",
  check(resource, context) {
    const statements = policyStatements(resource.policy);
    if (!statements) return NOT_LITERAL_POLICY;
    const tables = context.resources.aws_dynamodb_table ?? {};
    for (const [i, s] of statements.entries()) {
      const tableActions = s.actions.filter((a) => a.toLowerCase().startsWith("dynamodb:") && !(DYNAMODB_STREAM_ACTIONS as readonly string[]).includes(a));
      if (tableActions.length === 0) continue;
      if (s.notResources.length > 0 || s.resources.length === 0) return `${statementName(s, i)} grants DynamoDB actions without naming its tables`;
      for (const r of s.resources) {
        const table = TABLE_ARN_REFERENCE.exec(r)?.[1];
        if (table === undefined || !(table in tables)) return `${statementName(s, i)} grants DynamoDB actions on '${r}'; use \${aws_dynamodb_table.<name>.arn} of a table in this stack`;
      }
    }
    return undefined;
  },
};
