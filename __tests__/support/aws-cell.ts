import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { Testing, TerraformOutput, TerraformStack } from "cdktf";
import { AwsCell, type AwsCellProps } from "../../constructs/aws-cell";
import { LOCAL_BACKEND, type BackendConfig } from "../../stacks/backend";
import { AwsCellStack } from "../../stacks/aws-cell-stack";
import { parseSynth } from "./synth";

/** Object mother for `AwsCellProps`: a valid cell, plus what the test cares about. */
export const awsCellProps = (overrides: Partial<AwsCellProps> = {}): AwsCellProps => ({ cellId: "alpha", region: "eu-west-1", ...overrides });

/**
 * One `AwsCell` in a bare stack with its two providers (no backend, no outputs), synthesized.
 * `probe` names values (tokens) of the cell to synthesize as outputs, so a test can see what they resolve to.
 */
export function synthAwsCell(
  overrides: Partial<AwsCellProps> = {},
  probe?: (cell: AwsCell) => Record<string, string>,
): { cell: AwsCell; stack: TerraformStack; synth: string; json: any } {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  new RandomProvider(stack, "random");
  const cell = new AwsCell(stack, "cell", awsCellProps(overrides));
  for (const [name, value] of Object.entries(probe?.(cell) ?? {})) new TerraformOutput(stack, name, { value });
  const synth = Testing.synth(stack, true);
  return { cell, stack, synth, json: parseSynth(synth) };
}

/** An `AwsCellStack` named like the app names it (`cell-<cellId>`), synthesized. */
export function synthAwsCellStack(overrides: Partial<AwsCellProps> = {}, backend: BackendConfig = LOCAL_BACKEND): { stack: AwsCellStack; synth: string; json: any } {
  const props = awsCellProps(overrides);
  const stack = new AwsCellStack(Testing.app(), `cell-${props.cellId}`, { cell: props, backend });
  const synth = Testing.synth(stack, true);
  return { stack, synth, json: parseSynth(synth) };
}

/** The only resource of `type` in a parsed synth, with its Terraform name. */
export function single(json: any, type: string): { name: string; config: any } {
  const entries = Object.entries(json.resource?.[type] ?? {});
  if (entries.length !== 1) throw new Error(`expected exactly one ${type}, found ${entries.length}`);
  const [name, config] = entries[0]!;
  return { name, config };
}

/** `${type.name.attr}` for the only resource of `type`: what a reference to it synthesizes as. */
export const ref = (json: any, type: string, attribute: string): string => `\${${type}.${single(json, type).name}.${attribute}}`;

/** The resource of `type` whose construct id (the middle of its Terraform name) is `id`, e.g. `admin-key`. */
export function named(json: any, type: string, id: string): { name: string; config: any } {
  const entries = Object.entries(json.resource?.[type] ?? {}).filter(([name]) => name.startsWith(`cell_${id}_`));
  if (entries.length !== 1) throw new Error(`expected exactly one ${type} with construct id ${id}, found ${entries.length}`);
  const [name, config] = entries[0]!;
  return { name, config };
}

/** `${type.name.attr}` for the resource of `type` with construct id `id`. */
export const refTo = (json: any, type: string, id: string, attribute: string): string => `\${${type}.${named(json, type, id).name}.${attribute}}`;
