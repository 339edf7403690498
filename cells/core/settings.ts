import { CELL_ID_PATTERN, KEY_ID_PATTERN } from "../../contract";

/** An environment: names to values (the process environment fits; tests pass plain objects). */
export type SettingsSource = Readonly<Record<string, string | undefined>>;

/**
 * Reads a cell's settings and collects every problem before anyone throws, so one failed cold start
 * lists all of them. An empty value counts as unset (Terraform and the portals write "" for unset).
 * Used by each cloud's composition root; the core itself never sees the environment.
 */
export class SettingsReader {
  readonly problems: string[] = [];

  constructor(private readonly source: SettingsSource) {}

  read(name: string): string | undefined {
    const value = this.source[name];
    return value === undefined || value === "" ? undefined : value;
  }

  /** The value, or "" after recording that it is missing. */
  required(name: string): string {
    const value = this.read(name);
    if (value === undefined) this.problems.push(`${name} is not set`);
    return value ?? "";
  }

  /** A required value that must match `pattern`; the message shows the value (never use for secrets). */
  matching(name: string, pattern: RegExp): string {
    const value = this.required(name);
    if (value && !pattern.test(value)) this.problems.push(`${name} must match ${pattern}, got '${value}'`);
    return value;
  }

  /** An optional integer setting in [min, max]; `fallback` when unset. */
  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.read(name);
    if (raw === undefined) return fallback;
    const value = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
    if (!(value >= min && value <= max)) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
      return fallback;
    }
    return value;
  }

  cellId(name: string): string {
    return this.matching(name, CELL_ID_PATTERN);
  }

  keyId(name: string): string {
    return this.matching(name, KEY_ID_PATTERN);
  }
}

/**
 * Settings that cannot run a cell or its lake consumer. `problems` lists every problem found, each
 * naming its setting (never a secret's value); the message joins them after `what`.
 */
export class ConfigError extends Error {
  constructor(
    what: string,
    readonly problems: readonly string[],
  ) {
    super(`${what}: ${problems.join("; ")}`);
  }
}
