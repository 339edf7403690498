import type { PolicyRule } from "../../engine";
import { NOT_LITERAL_POLICY, policyStatements, statementName } from "./iam-policy-document";
import { DYNAMODB_STREAM_ACTIONS } from "./iam-dynamodb-own-streams";

/** Item writes a stream consumer may be granted at all, and only on a condition naming the attributes. */
const CONDITIONAL_WRITES = ["dynamodb:PutItem", "dynamodb:UpdateItem"];
/** Writes a stream consumer is never granted: they cannot be limited by attribute. */
const UNCONDITIONAL_WRITES = ["dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:TransactWriteItems", "dynamodb:*"];

/** The raw statements, for what `policyStatements` leaves out (conditions). */
const rawStatements = (policy: unknown): Array<Record<string, unknown>> => {
  try {
    const doc = typeof policy === "string" ? JSON.parse(policy) : policy;
    const s = (doc as { Statement?: unknown })?.Statement;
    return (Array.isArray(s) ? s : [s]) as Array<Record<string, unknown>>;
  } catch {
    return [];
  }
};

/** Whether a statement carries `ForAllValues:StringEquals` on `dynamodb:Attributes` (every attribute written is one it names). */
const limitedToAttributes = (statement: Record<string, unknown>): boolean => {
  const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
  const names = condition?.["ForAllValues:StringEquals"]?.["dynamodb:Attributes"];
  return Array.isArray(names) && names.length > 0;
};

/**
 * A role that reads a table's stream (the lake's, the standby replication consumer's) is a consumer of
 * the cell's changes, not a writer of its records: a DynamoDB item write it needs (the standby's lease
 * and progress on the ownership item) is allowed only with a `ForAllValues:StringEquals` condition on
 * `dynamodb:Attributes`, so no record, answer or outbox item can be written with it, and deletes and
 * batch or transactional writes not at all.
 */
export const iamStreamConsumerWrites: PolicyRule = {
  id: "AWS-IAM-7",
  description: "Roles that read a DynamoDB stream write table items only under a dynamodb:Attributes condition, and never delete or batch-write.",
  resourceType: "aws_iam_role_policy",
  check(resource, context) {
    const siblings = Object.values(context.resources.aws_iam_role_policy ?? {}).filter((p) => p.role === resource.role);
    const readsStream = siblings.some((p) => (policyStatements(p.policy) ?? []).some((s) => s.actions.some((a) => (DYNAMODB_STREAM_ACTIONS as readonly string[]).includes(a))));
    if (!readsStream) return undefined;
    const statements = policyStatements(resource.policy);
    if (!statements) return NOT_LITERAL_POLICY;
    const raw = rawStatements(resource.policy);
    for (const [i, s] of statements.entries()) {
      if (s.effect !== "Allow") continue;
      const never = s.actions.filter((a) => UNCONDITIONAL_WRITES.includes(a));
      if (never.length > 0) return `${statementName(s, i)} grants ${never.join(", ")} to a role that reads a DynamoDB stream`;
      const writes = s.actions.filter((a) => CONDITIONAL_WRITES.includes(a));
      if (writes.length > 0 && !limitedToAttributes(raw[i] ?? {})) {
        return `${statementName(s, i)} grants ${writes.join(", ")} to a role that reads a DynamoDB stream without a ForAllValues:StringEquals condition on dynamodb:Attributes`;
      }
    }
    return undefined;
  },
};
