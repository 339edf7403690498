import { Token } from "cdktf";
import { CELL_ID_PATTERN } from "../contract";

/**
 * Prop validation shared by the constructs: pure functions a test can call, messages that name the
 * field, what was given and what is allowed. Values that are unresolved tokens are skipped; they are
 * only known at apply time.
 */
export class ValidationErrors {
  private readonly errors: string[] = [];

  constructor(private readonly construct: string) {}

  add(message: string): void {
    this.errors.push(message);
  }

  /** `field` must match `pattern`. */
  pattern(field: string, value: string | undefined, pattern: RegExp): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!pattern.test(value)) this.add(`${field} must match ${pattern}, got '${value}'`);
  }

  /** A required `field` that must match `pattern`; `example` shows a valid value when it is missing. */
  requiredPattern(field: string, value: string | undefined, pattern: RegExp, example: string): void {
    if (value === undefined || value === "") this.add(`${field} is required, e.g. '${example}'`);
    else this.pattern(field, value, pattern);
  }

  /** `field` must be one of `allowed`. */
  oneOf<T>(field: string, value: T | undefined, allowed: readonly T[]): void {
    if (value === undefined || (typeof value === "string" && Token.isUnresolved(value))) return;
    if (!allowed.includes(value)) this.add(`${field} must be one of ${allowed.map((a) => `'${String(a)}'`).join(", ")}, got '${String(value)}'`);
  }

  /** `field` must be an integer in [min, max]. */
  integer(field: string, value: number | undefined, min: number, max: number): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isInteger(value) || value < min || value > max) this.add(`${field} must be an integer from ${min} to ${max}, got ${value}`);
  }

  cellId(value: string): void {
    this.pattern("cellId", value, CELL_ID_PATTERN);
  }

  /** Throws one error listing every problem, so a user fixes them all in one go. */
  throwIfAny(): void {
    if (this.errors.length === 0) return;
    throw new Error(`Invalid ${this.construct} props:\n- ${this.errors.join("\n- ")}`);
  }
}
