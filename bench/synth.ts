import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { runNode, tsxArgs, type ChildRun } from "./child";
import { formatTable, linearFit, median, round } from "./table";
import { topologyArg, type TopologyChoice } from "./topologies";

/**
 * Section 1: what a synth costs and how it grows with the number of cells. Every synth runs in a
 * fresh `node --import tsx bench/synth-child.ts` process (so its peak RSS is its own), into a temporary
 * outdir removed afterwards. Repetitions go round the sizes (size after size, then again), so a slow
 * moment on the shared machine hits every size rather than one.
 */

/** What `bench/synth-child.ts` reports (ms unless named otherwise). */
export interface SynthChildResult {
  readonly cells: number;
  readonly stacks: number;
  readonly importMs: number;
  readonly bundleMs: number;
  readonly bundleMsBySpec: Record<string, number>;
  /** Per bundle: reused from `.build/` (no input changed) rather than built by esbuild. */
  readonly bundleFromCache: Record<string, boolean>;
  readonly constructMs: number;
  readonly synthMs: number;
  readonly archiveCalls: number;
  readonly archiveMs: number;
  readonly totalMs: number;
  readonly totalExclBundleMs: number;
  readonly heapUsedMiB: number;
  readonly maxRssMiB: number;
}

export interface SynthRow {
  readonly topology: string;
  readonly cells: number;
  readonly stacks: number;
  readonly runs: number;
  /** Medians over the runs (ms, MiB). */
  readonly importMs: number;
  readonly bundleMs: number;
  readonly constructMs: number;
  readonly synthMs: number;
  readonly archiveCalls: number;
  readonly archiveMs: number;
  readonly totalMs: number;
  readonly totalExclBundleMs: number;
  readonly processWallMs: number;
  readonly maxRssMiB: number;
  /** Every run, for the JSON. */
  readonly samples: ReadonlyArray<SynthChildResult & { readonly processWallMs: number }>;
}

export interface SynthSection {
  readonly repeats: number;
  /** `node --import tsx` doing nothing: subtract from process wall time and RSS. */
  readonly tsxBaseline: { readonly processWallMs: number; readonly maxRssMiB: number; readonly samples: ReadonlyArray<{ processWallMs: number; maxRssMiB: number }> };
  readonly rows: readonly SynthRow[];
  /** Least squares over the generated topologies (cells -> value). */
  readonly perCell: {
    readonly totalExclBundleMs: { slope: number; intercept: number; r2: number };
    readonly synthMs: { slope: number; intercept: number; r2: number };
    readonly archiveMs: { slope: number; intercept: number; r2: number };
    readonly processWallMs: { slope: number; intercept: number; r2: number };
    readonly maxRssMiB: { slope: number; intercept: number; r2: number };
  };
}

const label = (choice: TopologyChoice) => (choice === "real" ? "real (TOPOLOGY)" : `generated ${choice}`);

export async function runSynthSection(options: { sizes: readonly number[]; repeats: number; log: (line: string) => void }): Promise<SynthSection> {
  const choices: TopologyChoice[] = ["real", ...options.sizes];
  const runs = new Map<TopologyChoice, Array<SynthChildResult & { processWallMs: number }>>(choices.map((c) => [c, []]));
  const baseline: Array<{ processWallMs: number; maxRssMiB: number }> = [];

  for (let round = 1; round <= options.repeats; round++) {
    const empty: ChildRun<object> = await runNode(tsxArgs("bench/empty-child.ts"));
    baseline.push({ processWallMs: empty.wallMs, maxRssMiB: empty.result.maxRssMiB });
    for (const choice of choices) {
      options.log(`synth: round ${round}/${options.repeats}, ${label(choice)}`);
      const outdir = mkdtempSync(path.join(tmpdir(), "cells-bench-synth-"));
      try {
        const run = await runNode<SynthChildResult>(tsxArgs("bench/synth-child.ts", topologyArg(choice), outdir), { timeoutMs: 600_000 });
        runs.get(choice)!.push({ ...run.result, processWallMs: run.wallMs });
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    }
  }

  const rows: SynthRow[] = choices.map((choice) => {
    const samples = runs.get(choice)!;
    const med = (pick: (s: SynthChildResult & { processWallMs: number }) => number) => median(samples.map(pick));
    return {
      topology: label(choice),
      cells: samples[0]!.cells,
      stacks: samples[0]!.stacks,
      runs: samples.length,
      importMs: med((s) => s.importMs),
      bundleMs: med((s) => s.bundleMs),
      constructMs: med((s) => s.constructMs),
      synthMs: med((s) => s.synthMs),
      archiveCalls: med((s) => s.archiveCalls),
      archiveMs: med((s) => s.archiveMs),
      totalMs: med((s) => s.totalMs),
      totalExclBundleMs: med((s) => s.totalExclBundleMs),
      processWallMs: med((s) => s.processWallMs),
      maxRssMiB: med((s) => s.maxRssMiB),
      samples,
    };
  });

  const generated = rows.filter((r) => r.topology.startsWith("generated"));
  const fit = (pick: (r: SynthRow) => number) => linearFit(generated.map((r) => [r.cells, pick(r)] as const));
  return {
    repeats: options.repeats,
    tsxBaseline: { processWallMs: median(baseline.map((b) => b.processWallMs)), maxRssMiB: median(baseline.map((b) => b.maxRssMiB)), samples: baseline },
    rows,
    perCell: {
      totalExclBundleMs: fit((r) => r.totalExclBundleMs),
      synthMs: fit((r) => r.synthMs),
      archiveMs: fit((r) => r.archiveMs),
      processWallMs: fit((r) => r.processWallMs),
      maxRssMiB: fit((r) => r.maxRssMiB),
    },
  };
}

/** Median build time of each bundle over every synth child that built it. */
function bundleMedians(section: SynthSection): Record<string, number> {
  const byName = new Map<string, number[]>();
  for (const row of section.rows) for (const sample of row.samples) for (const [name, ms] of Object.entries(sample.bundleMsBySpec)) byName.set(name, [...(byName.get(name) ?? []), ms]);
  return Object.fromEntries([...byName].map(([name, values]) => [name, median(values)]));
}

export function formatSynthSection(section: SynthSection): { table: string; summary: string[] } {
  const generated = section.rows.filter((r) => r.topology.startsWith("generated"));
  const previous = new Map(generated.slice(1).map((r, i) => [r, generated[i]!]));
  const table = formatTable<SynthRow | "baseline">(
    [
      { header: "topology", value: (r) => (r === "baseline" ? "tsx startup only" : r.topology), align: "left" },
      { header: "cells", value: (r) => (r === "baseline" ? undefined : r.cells), align: "right" },
      { header: "import", value: (r) => (r === "baseline" ? undefined : round(r.importMs, 0)), align: "right" },
      { header: "bundle*", value: (r) => (r === "baseline" ? undefined : round(r.bundleMs, 0)), align: "right" },
      { header: "construct", value: (r) => (r === "baseline" ? undefined : round(r.constructMs, 0)), align: "right" },
      { header: "synth()", value: (r) => (r === "baseline" ? undefined : round(r.synthMs, 0)), align: "right" },
      { header: "zip ms/n", value: (r) => (r === "baseline" ? undefined : `${round(r.archiveMs, 0)}/${r.archiveCalls}`), align: "right" },
      { header: "in-proc total", value: (r) => (r === "baseline" ? undefined : round(r.totalMs, 0)), align: "right" },
      { header: "excl bundle", value: (r) => (r === "baseline" ? undefined : round(r.totalExclBundleMs, 0)), align: "right" },
      {
        header: "ms/cell vs prev",
        value: (r) => {
          const prev = r === "baseline" ? undefined : previous.get(r);
          return prev && r !== "baseline" ? round((r.totalExclBundleMs - prev.totalExclBundleMs) / (r.cells - prev.cells), 0) : undefined;
        },
        align: "right",
      },
      { header: "process wall", value: (r) => round(r === "baseline" ? section.tsxBaseline.processWallMs : r.processWallMs, 0), align: "right" },
      { header: "peak RSS MiB", value: (r) => round(r === "baseline" ? section.tsxBaseline.maxRssMiB : r.maxRssMiB, 0), align: "right" },
    ],
    ["baseline", ...section.rows],
  );
  const { totalExclBundleMs: t, maxRssMiB: m, archiveMs: a, processWallMs: w } = section.perCell;
  const real = section.rows.find((r) => r.topology.startsWith("real"));
  const summary = [
    `All times in ms, medians of ${section.repeats} run(s), each synth in a fresh process. In-process = from before importing cdktf and the stacks to after app.synth().`,
    `* bundle = the Lambda, Function and Worker bundles, once per process whatever the cell count: esbuild when an input changed, else a reuse of .build/ (the first child builds, the rest reuse); "excl bundle" leaves it out.`,
    `zip ms/n = time/count of cdktf's archive subprocesses (one 'node fs.js' zip per ARCHIVE asset, i.e. per cell stack), inside synth().`,
    `process wall = spawn to exit seen by the parent, including node + tsx startup (first row; subtract it).`,
    `synth: +${round(t.slope, 0)} ms and +${round(m.slope, 2)} MiB peak RSS per cell (least squares over ${generated.map((r) => r.cells).join("/")} cells; R² ${round(t.r2, 4)} for time, so linear); ` +
      `base ${round(t.intercept, 0)} ms; cdktf's per-stack zip subprocess is ${round(a.slope, 0)} of those ${round(t.slope, 0)} ms/cell; whole process +${round(w.slope, 0)} ms/cell.`,
    `bundling per process (median over every synth child): ${Object.entries(bundleMedians(section))
      .map(([name, ms]) => `${name} ${round(ms, 0)} ms`)
      .join(", ")}.`,
    real ? `real app (${real.cells} cells, ${real.stacks} stacks): ${round(real.totalExclBundleMs, 0)} ms in-process excluding bundling (${round(real.totalMs, 0)} ms with it), ${round(real.processWallMs, 0)} ms whole process, ${round(real.maxRssMiB, 0)} MiB peak RSS.` : "",
  ].filter(Boolean);
  return { table, summary };
}
