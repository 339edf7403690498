/**
 * How `cellctl` talks: data on stdout (a table for people, one stable JSON document with `--json`),
 * messages and progress on stderr, colour and live progress only on a TTY without `NO_COLOR`.
 */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** True when stderr is a terminal (live progress lines are allowed). */
  readonly interactive: boolean;
  readonly json: boolean;
}

/** An `Io` over the process's streams. */
export function processIo(json: boolean, env: Readonly<Record<string, string | undefined>>): Io {
  return {
    out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    interactive: Boolean(process.stderr.isTTY) && env.NO_COLOR === undefined && env.CI === undefined,
    json,
  };
}

/** Left-aligned columns separated by two spaces; `null`/`undefined` cells print as `-`. */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  const cells = [headers, ...rows.map((row) => row.map((c) => (c === null || c === undefined || c === "" ? "-" : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n");
}

/** Prints `data` as JSON (with `--json`) or the table `render` makes of it. */
export function emit<T>(io: Io, data: T, render: (data: T) => string): void {
  io.out(io.json ? JSON.stringify(data, null, 2) : render(data));
}
