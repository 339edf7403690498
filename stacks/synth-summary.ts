import { readFileSync } from "node:fs";
import * as path from "node:path";
import { regionOf, type Topology } from "../topology";
import { EDGE_STACK_NAME, cellStackName } from "./app";

/**
 * What `npm run synth` made, read back from the synthesized output (manifest and stack JSON), so it
 * shows what Terraform will see: one row per stack with its cloud, region, deploy wave, resource
 * count and outputs, and the edge's registry entries and Worker bindings.
 */

export interface StackRow {
  readonly stack: string;
  readonly cloud: string;
  readonly region: string;
  /** The cell's wave, or `last` for the edge (deployed after every wave). */
  readonly wave: string;
  readonly resources: number;
  /** Output names, without the sensitive cross-stack outputs cdktf adds for the edge. */
  readonly outputs: readonly string[];
  /** How many cross-stack outputs cdktf added (what the edge reads from this stack). */
  readonly crossStackOutputs: number;
}

export interface SynthSummary {
  readonly outdir: string;
  readonly stacks: readonly StackRow[];
  /** KV keys the edge stack writes, in synthesized order. */
  readonly registryEntries: readonly string[];
  /** The Worker's bindings, `name` and binding type. */
  readonly bindings: ReadonlyArray<{ readonly name: string; readonly type: string }>;
}

/** A synthesized stack, as `cdk.tf.json` holds it (only the parts the summary reads). */
export interface SynthesizedStackJson {
  readonly resource?: Record<string, Record<string, any>>;
  readonly output?: Record<string, unknown>;
}

const CROSS_STACK_OUTPUT = /^cross-stack-output-/;

/** The summary from parsed stack JSON, in manifest order. */
export function summarize(outdir: string, stacks: Readonly<Record<string, SynthesizedStackJson>>, topology: Topology): SynthSummary {
  const cells = new Map(topology.cells.map((cell) => [cellStackName(cell.cellId), cell]));
  const rows = Object.entries(stacks).map(([name, json]): StackRow => {
    const cell = cells.get(name);
    const outputs = Object.keys(json.output ?? {});
    return {
      stack: name,
      cloud: cell?.cloud ?? (name === EDGE_STACK_NAME ? "cloudflare" : "-"),
      region: cell ? regionOf(cell) : "-",
      wave: cell ? String(cell.wave) : name === EDGE_STACK_NAME ? "last" : "-",
      resources: Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0),
      outputs: outputs.filter((o) => !CROSS_STACK_OUTPUT.test(o)),
      crossStackOutputs: outputs.filter((o) => CROSS_STACK_OUTPUT.test(o)).length,
    };
  });
  const edge = stacks[EDGE_STACK_NAME]?.resource ?? {};
  const registryEntries = Object.values(edge.cloudflare_workers_kv ?? {}).map((entry) => String(entry.key_name));
  const bindings = Object.values(edge.cloudflare_workers_script ?? {}).flatMap((script) =>
    ((script.bindings ?? []) as Array<{ name: string; type: string }>).map(({ name, type }) => ({ name, type })),
  );
  return { outdir, stacks: rows, registryEntries, bindings };
}

/** Reads `manifest.json` and every stack's `cdk.tf.json` under `outdir`, then summarizes them. */
export function readSynthSummary(outdir: string, topology: Topology): SynthSummary {
  const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { synthesizedStackPath: string }> };
  const stacks = Object.fromEntries(
    Object.entries(manifest.stacks).map(([name, stack]) => [name, JSON.parse(readFileSync(path.join(outdir, stack.synthesizedStackPath), "utf8")) as SynthesizedStackJson]),
  );
  return summarize(outdir, stacks, topology);
}

/** Left-aligned columns, two spaces apart. */
function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
}

/** The summary as people read it: a table of stacks, then the edge's registry and bindings. Deterministic. */
export function formatSynthSummary(summary: SynthSummary): string {
  const rows = summary.stacks.map((s) => [
    s.stack,
    s.cloud,
    s.region,
    s.wave,
    String(s.resources),
    [s.outputs.join(", "), s.crossStackOutputs > 0 ? `(+${s.crossStackOutputs} cross-stack, sensitive)` : ""].filter(Boolean).join(" ") || "-",
  ]);
  const byType = new Map<string, string[]>();
  for (const { name, type } of summary.bindings) byType.set(type, [...(byType.get(type) ?? []), name]);
  const lines = [
    `Synthesized ${summary.stacks.length} stacks into ${summary.outdir}/`,
    "",
    ...table(["stack", "cloud", "region", "wave", "resources", "outputs"], rows),
    "",
    `edge registry entries (${summary.registryEntries.length}): ${summary.registryEntries.join(", ") || "-"}`,
    `edge Worker bindings (${summary.bindings.length}): ${[...byType].map(([type, names]) => `${names.join(", ")} (${type})`).join("; ") || "-"}`,
  ];
  return `${lines.join("\n")}\n`;
}
