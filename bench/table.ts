/**
 * Plain-text tables and the few statistics the benchmark reports. No dependencies, so the script
 * runs on a fresh clone.
 */

export type Align = "left" | "right";

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | number | undefined;
  /** @default "right" for numbers, "left" otherwise (decided from the first row) */
  readonly align?: Align;
}

/** An aligned table: header, a rule, one line per row. `undefined` prints as `-`. */
export function formatTable<Row>(columns: ReadonlyArray<Column<Row>>, rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const aligns = columns.map((c, i): Align => c.align ?? (typeof cells[0]?.[i] === "number" ? "right" : "left"));
  const text = cells.map((line) => line.map((v) => (v === undefined ? "-" : String(v))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...text.map((line) => line[i]!.length)));
  const pad = (s: string, i: number) => (aligns[i] === "right" ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const lines = [columns.map((c, i) => pad(c.header, i)).join("  "), widths.map((w) => "-".repeat(w)).join("  "), ...text.map((line) => line.map(pad).join("  "))];
  return lines.map((l) => l.trimEnd()).join("\n");
}

/** A section heading followed by its table and summary lines. */
export function printSection(title: string, table: string, summary: readonly string[] = []): void {
  console.log(`\n== ${title} ${"=".repeat(Math.max(0, 96 - title.length))}`);
  console.log(table);
  for (const line of summary) console.log(line);
}

/** `n` with `digits` decimals (numbers stay numbers, so the table right-aligns them). */
export const round = (n: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Percentile by linear interpolation between closest ranks (`p` in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** Least-squares line `y = intercept + slope * x`, with R² (1 = every point on the line). */
export function linearFit(points: ReadonlyArray<readonly [number, number]>): { slope: number; intercept: number; r2: number } {
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  const slope = sxx === 0 ? NaN : sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = sxx === 0 || syy === 0 ? NaN : (sxy * sxy) / (sxx * syy);
  return { slope, intercept, r2 };
}

/** 12345 -> "12.1 KiB"; for tables where bytes would be hard to read. */
export function kib(bytes: number): number {
  return round(bytes / 1024, 1);
}
