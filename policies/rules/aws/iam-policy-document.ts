/**
 * Reads IAM policy documents out of synthesized resources, for the IAM rules. A policy is checkable
 * when it is a literal JSON document (Terraform interpolations such as `${aws_dynamodb_table.x.arn}`
 * may appear inside its strings); a `jsonencode(...)` expression or a data-source reference is not,
 * and the rules report it rather than pass it unseen.
 */

/** One statement, with `Action`/`Resource` normalized to arrays. */
export interface PolicyStatement {
  readonly sid?: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
}

const list = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)]);

/** The statements of `policy`, or undefined when it is not a literal JSON policy document. */
export function policyStatements(policy: unknown): PolicyStatement[] | undefined {
  let doc: unknown = policy;
  if (typeof policy === "string") {
    try {
      doc = JSON.parse(policy);
    } catch {
      return undefined;
    }
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const raw = (doc as { Statement?: unknown }).Statement;
  if (raw === undefined) return undefined;
  return (Array.isArray(raw) ? raw : [raw]).map((s: Record<string, unknown>) => ({
    sid: typeof s.Sid === "string" ? s.Sid : undefined,
    effect: String(s.Effect ?? ""),
    actions: list(s.Action),
    notActions: list(s.NotAction),
    resources: list(s.Resource),
    notResources: list(s.NotResource),
  }));
}

/** `Sid` or position, for messages. */
export const statementName = (s: PolicyStatement, index: number): string => (s.sid ? `statement '${s.sid}'` : `statement ${index}`);

export const NOT_LITERAL_POLICY = "policy must be a literal JSON policy document (not jsonencode or a data source) so its actions and resources can be checked";
