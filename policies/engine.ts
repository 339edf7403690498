/**
 * Policy rules over the synthesized Terraform JSON (the repo's real contract, which outlives CDKTF).
 * One rule per file in `rules/`, in the spirit of cdk-nag: each names the resource type it checks and
 * returns a violation message or nothing. A suppression must name the rule, the resource address
 * and a reason; a suppression without a reason is itself an error.
 */

/** A synthesized stack: the parsed `cdk.tf.json`, or the string `Testing.synth` returns. */
export type SynthesizedStack = string | { readonly resource?: Record<string, Record<string, unknown>> };

export interface PolicyContext {
  /** Every resource of the stack, by type then name, to look up related resources. */
  readonly resources: Readonly<Record<string, Readonly<Record<string, Record<string, unknown>>>>>;
  /** The Terraform name of the resource being checked (`records` in `aws_dynamodb_table.records`), to find resources that refer to it. */
  readonly name?: string;
}

export interface PolicyRule {
  /** Stable id, e.g. `AWS-DDB-1`. */
  readonly id: string;
  /** What the rule requires, one sentence. */
  readonly description: string;
  /** Terraform resource type the rule applies to, e.g. `aws_dynamodb_table`. */
  readonly resourceType: string;
  /** A message when `resource` breaks the rule, otherwise undefined. */
  check(resource: Record<string, unknown>, context: PolicyContext): string | undefined;
}

export interface Suppression {
  readonly ruleId: string;
  /** `type.name`, e.g. `aws_dynamodb_table.records`. */
  readonly address: string;
  readonly reason: string;
}

export interface Violation {
  readonly ruleId: string;
  readonly address: string;
  readonly message: string;
}

export function evaluatePolicies(stack: SynthesizedStack, rules: readonly PolicyRule[], suppressions: readonly Suppression[] = []): Violation[] {
  for (const s of suppressions) {
    if (!s.reason || s.reason.trim().length < 10) throw new Error(`suppression of ${s.ruleId} on ${s.address} needs a reason (10+ characters)`);
  }
  const parsed = typeof stack === "string" ? (JSON.parse(stack) as Exclude<SynthesizedStack, string>) : stack;
  const resources = (parsed.resource ?? {}) as PolicyContext["resources"];
  const violations: Violation[] = [];
  for (const rule of rules) {
    for (const [name, resource] of Object.entries(resources[rule.resourceType] ?? {})) {
      const address = `${rule.resourceType}.${name}`;
      const message = rule.check(resource, { resources, name });
      if (message === undefined) continue;
      if (suppressions.some((s) => s.ruleId === rule.id && s.address === address)) continue;
      violations.push({ ruleId: rule.id, address, message });
    }
  }
  return violations;
}

/** `${type.name.attribute}`: how a reference to a resource's attribute appears in the synthesized JSON. */
export const referenceTo = (type: string, name: string, attribute: string): string => `\${${type}.${name}.${attribute}}`;

/** Reads a nested block that Terraform JSON may hold as an object or a one-element array. */
export function block(value: unknown): Record<string, unknown> | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : undefined;
}
