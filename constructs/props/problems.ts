import { z } from "zod";
import { didYouMean } from "./suggest";

/**
 * Props and topology problems as values: a path to the field and a message that says what was wrong
 * and what is allowed. The constructs throw them as one `PropsError`; the topology check returns them,
 * and the commands print them one per line.
 */

/** Where a problem is: object keys and array indexes, e.g. `["cells", 2, "region"]`. */
export type ProblemPath = ReadonlyArray<string | number>;

export interface Problem {
  readonly path: ProblemPath;
  /** Reads after the path and a colon: `must be an integer from 1 to 29, got 30`. */
  readonly message: string;
}

/** The rules of one construct's props: a zod shape per field plus the rules that span fields. */
export interface PropsRules {
  /** The construct the props belong to, for messages (`AwsCell`). */
  readonly construct: string;
  /** One zod schema per prop; every prop of the props interface has one (a test holds that). */
  readonly shape: z.ZodRawShape;
  /** Rules over several fields (a value allowed only with another), given an object whose fields passed their types. */
  readonly crossField: (props: Readonly<Record<string, unknown>>) => Problem[];
  /** Fields another construct uses for the same idea (`location` for `region`), for "did you mean". */
  readonly aliases?: Readonly<Record<string, string>>;
  /** What to add to "is required" for a missing field, e.g. `e.g. 'eu-west-1'`. */
  readonly requiredHints?: Readonly<Record<string, string>>;
}

/** How `schemaProblems` words its messages. */
export interface SchemaWording {
  /** Whose fields an unknown key is compared with (`AwsCell`, `tenant`). */
  readonly owner: string;
  readonly aliases?: Readonly<Record<string, string>>;
  readonly requiredHints?: Readonly<Record<string, string>>;
}

/** A value as a message quotes it: strings in single quotes, everything else as JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (value === undefined) return "nothing";
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  const json = JSON.stringify(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function valueAt(raw: unknown, path: ProblemPath): unknown {
  let current = raw;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

/** Message for a key the schema does not know: the closest known one, or the whole list. */
function unknownField(key: string, known: readonly string[], aliases: Readonly<Record<string, string>>, owner: string): string {
  const alias = aliases[key];
  const hint = alias !== undefined && known.includes(alias) ? `; did you mean '${alias}'?` : didYouMean(key, known);
  return `unknown field${hint || `; ${owner} fields are ${known.join(", ")}`}`;
}

/** The field names of the object schema at `path` below `schema` (optional and default wrappers unwrapped). */
function keysAt(schema: z.ZodObject, path: ProblemPath): string[] {
  let current: unknown = schema;
  for (const key of path) {
    while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) current = current.unwrap();
    if (!(current instanceof z.ZodObject)) return [];
    current = current.shape[String(key)];
  }
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) current = current.unwrap();
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

/**
 * Parses `raw` with a strict object `schema` and turns every zod issue into a `Problem`: a missing
 * field is "is required", a wrong type says what was expected and what came, an unknown key names
 * the closest known one.
 */
export function schemaProblems(schema: z.ZodObject, raw: unknown, wording: SchemaWording): Problem[] {
  if (!isRecord(raw)) return [{ path: [], message: `must be an object, got ${describeValue(raw)}` }];
  const result = schema.safeParse(raw);
  if (result.success) return [];
  return result.error.issues.flatMap((issue): Problem[] => {
    const path = issue.path.filter((key): key is string | number => typeof key !== "symbol");
    switch (issue.code) {
      case "unrecognized_keys": {
        // A nested object (`lake`) lists its own fields, under its own name.
        const nested = path.length > 0;
        const known = keysAt(schema, path);
        const owner = nested ? formatPath(path) : wording.owner;
        return issue.keys.map((key) => ({ path: [...path, key], message: unknownField(key, known, nested ? {} : (wording.aliases ?? {}), owner) }));
      }
      case "invalid_type": {
        const value = valueAt(raw, path);
        const hint = wording.requiredHints?.[String(path[path.length - 1])];
        return [{ path, message: value === undefined ? `is required${hint ? `, ${hint}` : ""}` : `must be ${article(issue.expected)}, got ${describeValue(value)}` }];
      }
      case "invalid_value":
        return [{ path, message: `must be ${issue.values.map((v) => describeValue(v)).join(" or ")}, got ${describeValue(valueAt(raw, path))}` }];
      default:
        return [{ path, message: issue.message }];
    }
  });
}

/** Every problem of `raw` against a construct's rules (field rules first, then the rules across fields). */
export function propsProblems(rules: PropsRules, raw: unknown, schema: z.ZodObject = strictSchemaOf(rules)): Problem[] {
  const fieldProblems = schemaProblems(schema, raw, { owner: rules.construct, aliases: rules.aliases, requiredHints: rules.requiredHints });
  if (!isRecord(raw)) return fieldProblems;
  // Cross-field rules look only at fields whose own rules passed, so one mistake gives one message.
  const failed = new Set(fieldProblems.map((p) => p.path[0]));
  const clean = Object.fromEntries(Object.entries(raw).filter(([key]) => !failed.has(key)));
  return inFieldOrder([...fieldProblems, ...rules.crossField(clean)], Object.keys(schema.shape));
}

const strictSchemas = new WeakMap<PropsRules, z.ZodObject>();

/** The strict object schema of a construct's props, built once per rules object. */
export function strictSchemaOf(rules: PropsRules): z.ZodObject {
  let schema = strictSchemas.get(rules);
  if (!schema) {
    schema = z.strictObject(rules.shape);
    strictSchemas.set(rules, schema);
  }
  return schema;
}

/** Sorts problems by the position of their first path key in `keys` (unknown keys last), keeping ties in order. */
export function inFieldOrder(problems: readonly Problem[], keys: readonly string[]): Problem[] {
  const rank = (p: Problem) => {
    const index = keys.indexOf(String(p.path[0]));
    return index === -1 ? keys.length : index;
  };
  return problems.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i).map(({ p }) => p);
}

/**
 * `cells[2] (gamma).region`: keys joined with dots, indexes in brackets; `label` may name an array
 * element (the cell id after `cells[2]`).
 */
export function formatPath(path: ProblemPath, label?: (array: string, index: number) => string | undefined): string {
  let out = "";
  let previous = "";
  for (const key of path) {
    if (typeof key === "number") {
      out += `[${key}]`;
      const name = label?.(previous, key);
      if (name) out += ` (${name})`;
    } else {
      out += out ? `.${key}` : key;
      previous = key;
    }
  }
  return out;
}

/** One line per problem: `path: message`. */
export const formatProblem = (problem: Problem, label?: (array: string, index: number) => string | undefined): string =>
  problem.path.length === 0 ? problem.message : `${formatPath(problem.path, label)}: ${problem.message}`;

/** Invalid props of one construct: every problem, one per line, so a user fixes them in one go. */
export class PropsError extends Error {
  constructor(
    readonly construct: string,
    /** One line each, `field: message`. */
    readonly problems: readonly string[],
  ) {
    super(`Invalid ${construct} props:\n- ${problems.join("\n- ")}`);
    this.name = "PropsError";
  }
}

/** Checks `props` against a construct's rules and throws one `PropsError` listing every problem. */
export function assertValidProps(rules: PropsRules, props: unknown): void {
  const problems = propsProblems(rules, props);
  if (problems.length > 0) throw new PropsError(rules.construct, problems.map((p) => formatProblem(p)));
}

/**
 * Compile-time guard: `true` only when a rules shape has exactly the keys of its props interface, so
 * a new prop without a rule (or a rule without a prop) fails `tsc`.
 */
export type ShapeCoversProps<Shape, Props> = [Exclude<keyof Required<Props>, keyof Shape>, Exclude<keyof Shape, keyof Required<Props>>] extends [never, never]
  ? true
  : { propsWithoutRule: Exclude<keyof Required<Props>, keyof Shape>; rulesWithoutProp: Exclude<keyof Shape, keyof Required<Props>> };
