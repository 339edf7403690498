import { Token } from "cdktf/lib/tokens/token";
import { z } from "zod";
import { CELL_ID_PATTERN } from "../../contract";
import { describeValue } from "./problems";
import { didYouMean } from "./suggest";

/**
 * Zod field rules for construct props. Each checks the type, then (unless the value is an unresolved
 * Terraform token, known only at apply time) the value, with a message that reads after the field's
 * name: `memorySizeMiB: must be an integer from 128 to 10240, got 64`.
 */

/** A rule over a value of the right type: a problem message, or `undefined` when the value is fine. */
type Rule<T> = (value: T) => string | undefined;

/** A string field checked by `rule` unless it is a token. */
export const stringWith = (rule: Rule<string>) =>
  z.string().check((ctx) => {
    if (Token.isUnresolved(ctx.value)) return;
    const message = rule(ctx.value);
    if (message !== undefined) ctx.issues.push({ code: "custom", input: ctx.value, message });
  });

/** A number field checked by `rule` unless it is a token. */
export const numberWith = (rule: Rule<number>) =>
  z.number().check((ctx) => {
    if (Token.isUnresolved(ctx.value)) return;
    const message = rule(ctx.value);
    if (message !== undefined) ctx.issues.push({ code: "custom", input: ctx.value, message });
  });

export const matching = (pattern: RegExp) => stringWith((v) => (pattern.test(v) ? undefined : `must match ${pattern}, got '${v}'`));

/** A required, non-empty string; `example` shows a valid value when it is empty. */
export const nonEmpty = (example: string) => stringWith((v) => (v === "" ? `is required, e.g. '${example}'` : undefined));

export const cellIdField = () => matching(CELL_ID_PATTERN);

const listOf = (allowed: readonly unknown[]) => allowed.map((a) => `'${String(a)}'`).join(", ");

export const oneOf = (allowed: readonly string[]) =>
  stringWith((v) => (allowed.includes(v) ? undefined : `must be one of ${listOf(allowed)}, got '${v}'${didYouMean(v, allowed)}`));

export const oneOfNumbers = (allowed: readonly number[]) => numberWith((v) => (allowed.includes(v) ? undefined : `must be one of ${listOf(allowed)}, got '${v}'`));

export const integerFrom = (min: number, max: number) =>
  numberWith((v) => (Number.isInteger(v) && v >= min && v <= max ? undefined : `must be an integer from ${min} to ${max}, got ${v}`));

/** An integer of at least `min`; `why` says what a smaller value would do. */
export const integerAtLeast = (min: number, why?: string) =>
  numberWith((v) => (Number.isSafeInteger(v) && v >= min ? undefined : `must be an integer of at least ${min}${why ? ` (${why})` : ""}, got ${describeValue(v)}`));
