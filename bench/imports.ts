import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { ROOT, runNode } from "./child";
import { formatTable, median, round } from "./table";

/**
 * Section 2: the cost of loading a provider package from its root (a `require` of the bare package name,
 * which loads every resource class of the provider) against loading exactly the deep paths this
 * project imports (`@cdktf/provider-aws/lib/dynamodb-table`, ...). Each measurement is a fresh plain
 * `node bench/import-child.cjs <modules...>` process: no tsx, no TypeScript, nothing else loaded.
 * The deep-path lists come from scanning `constructs/` and `stacks/`, so they follow the code.
 */

/** The provider packages measured; `random` is small but the cells use it too. */
export const PROVIDERS = ["aws", "azurerm", "cloudflare", "random"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Folders whose imports define what the synth loads. */
const SCANNED = ["constructs", "stacks"];

export interface ProviderImports {
  /** Deep paths imported anywhere in the scanned folders, sorted. */
  readonly deep: Record<Provider, string[]>;
  /** Files that import a provider package root (there should be none), as `file: specifier`. */
  readonly rootImports: string[];
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...tsFiles(full));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

/** Finds every `@cdktf/provider-<p>` specifier in `from "..."`, `import("...")` and `require("...")` forms. */
export function scanProviderImports(root = ROOT): ProviderImports {
  const deep = Object.fromEntries(PROVIDERS.map((p) => [p, new Set<string>()])) as Record<Provider, Set<string>>;
  const rootImports: string[] = [];
  const specifier = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)["'](@cdktf\/provider-([a-z0-9-]+)(\/[^"']*)?)["']/g;
  for (const folder of SCANNED) {
    for (const file of tsFiles(path.join(root, folder))) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(specifier)) {
        const [, spec, provider, rest] = match;
        if (!(PROVIDERS as readonly string[]).includes(provider!)) continue;
        if (rest === undefined || rest === "" || rest === "/") rootImports.push(`${path.relative(root, file)}: ${spec}`);
        else deep[provider as Provider].add(spec!);
      }
    }
  }
  return {
    deep: Object.fromEntries(PROVIDERS.map((p) => [p, [...deep[p]].sort()])) as Record<Provider, string[]>,
    rootImports,
  };
}

interface ImportChildResult {
  readonly modules: number;
  readonly requireMs: number;
  readonly loadedModules: number;
  readonly heapUsedMiB: number;
  readonly maxRssMiB: number;
}

export interface ImportRow {
  readonly name: string;
  readonly provider?: Provider;
  readonly style: "none" | "cdktf only" | "root" | "deep";
  /** What the child requires. */
  readonly modules: readonly string[];
  readonly runs: number;
  /** Medians. */
  readonly requireMs: number;
  readonly processWallMs: number;
  readonly maxRssMiB: number;
  readonly loadedModules: number;
  readonly samples: ReadonlyArray<ImportChildResult & { processWallMs: number }>;
}

export interface ImportsSection {
  /** Runs of the expensive children (the big providers' roots); the others run `2 * repeats + 1` times. */
  readonly repeats: number;
  readonly scanned: readonly string[];
  readonly rootImportsInProject: readonly string[];
  readonly rows: readonly ImportRow[];
  /** Per provider: root / deep ratios of the medians. */
  readonly ratios: Record<string, { requireMs: number; processWallMs: number; maxRssMiB: number }>;
}

/** The child's environment: no inherited NODE_OPTIONS (a loader there would be measured too). */
function plainEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

export async function runImportsSection(options: { repeats: number; log: (line: string) => void }): Promise<ImportsSection> {
  const scan = scanProviderImports();
  const variants: Array<Pick<ImportRow, "name" | "provider" | "style" | "modules">> = [
    { name: "node, nothing required", style: "none", modules: [] },
    { name: "cdktf", style: "cdktf only", modules: ["cdktf"] },
  ];
  for (const provider of PROVIDERS) {
    const pkg = `@cdktf/provider-${provider}`;
    variants.push({ name: `${pkg} (root)`, provider, style: "root", modules: [pkg] });
    variants.push({ name: `${pkg} deep x${scan.deep[provider].length}`, provider, style: "deep", modules: scan.deep[provider] });
  }

  // Cheap children (well under a second) get more runs: their differences are a few ms, so noise matters more.
  const cheapRepeats = options.repeats * 2 + 1;
  const runsOf = (v: (typeof variants)[number]) => (v.style === "root" && v.provider !== "random" ? options.repeats : cheapRepeats);
  const samples = new Map<string, Array<ImportChildResult & { processWallMs: number }>>(variants.map((v) => [v.name, []]));
  for (let round = 1; round <= cheapRepeats; round++) {
    options.log(`imports: round ${round}/${cheapRepeats}`);
    for (const variant of variants.filter((v) => round <= runsOf(v))) {
      const run = await runNode<ImportChildResult>([path.join(ROOT, "bench/import-child.cjs"), ...variant.modules], { env: plainEnv() });
      samples.get(variant.name)!.push({ ...run.result, processWallMs: run.wallMs });
    }
  }

  const rows: ImportRow[] = variants.map((v) => {
    const s = samples.get(v.name)!;
    return {
      ...v,
      runs: s.length,
      requireMs: median(s.map((x) => x.requireMs)),
      processWallMs: median(s.map((x) => x.processWallMs)),
      maxRssMiB: median(s.map((x) => x.maxRssMiB)),
      loadedModules: median(s.map((x) => x.loadedModules)),
      samples: s,
    };
  });
  const ratios: ImportsSection["ratios"] = {};
  for (const provider of PROVIDERS) {
    const root = rows.find((r) => r.provider === provider && r.style === "root")!;
    const deep = rows.find((r) => r.provider === provider && r.style === "deep")!;
    ratios[provider] = { requireMs: root.requireMs / deep.requireMs, processWallMs: root.processWallMs / deep.processWallMs, maxRssMiB: root.maxRssMiB / deep.maxRssMiB };
  }
  return { repeats: options.repeats, scanned: SCANNED, rootImportsInProject: scan.rootImports, rows, ratios };
}

export function formatImportsSection(section: ImportsSection): { table: string; summary: string[] } {
  const cdktf = section.rows.find((r) => r.style === "cdktf only")!;
  const table = formatTable<ImportRow>(
    [
      { header: "child requires", value: (r) => r.name, align: "left" },
      { header: "runs", value: (r) => r.runs },
      { header: "require ms", value: (r) => round(r.requireMs, 0) },
      { header: "+ms vs cdktf", value: (r) => (r.style === "root" || r.style === "deep" ? round(r.requireMs - cdktf.requireMs, 0) : undefined), align: "right" },
      { header: "process wall ms", value: (r) => round(r.processWallMs, 0) },
      { header: "peak RSS MiB", value: (r) => round(r.maxRssMiB, 0) },
      { header: "+MiB vs cdktf", value: (r) => (r.style === "root" || r.style === "deep" ? round(r.maxRssMiB - cdktf.maxRssMiB, 0) : undefined), align: "right" },
      { header: "modules loaded", value: (r) => r.loadedModules },
    ],
    section.rows,
  );
  const summary = [
    `Medians over "runs" fresh plain node processes each (rows interleaved round by round); require ms is timed inside the child, process wall is spawn to exit. Deep paths: every @cdktf/provider-*/lib/... import found in ${section.scanned.join("/, ")}/ (listed in the JSON).`,
    `root package imports in the project: ${section.rootImportsInProject.length === 0 ? "none" : section.rootImportsInProject.join("; ")}. ` +
      `Run-to-run spread of 'cdktf' alone: ${round(Math.min(...cdktf.samples.map((x) => x.requireMs)), 0)}-${round(Math.max(...cdktf.samples.map((x) => x.requireMs)), 0)} ms require, ` +
      `so small +/- differences of the deep rows against it are noise: a deep import costs about what cdktf itself costs.`,
    ...Object.entries(section.ratios).map(([provider, r]) => {
      const root = section.rows.find((x) => x.provider === provider && x.style === "root")!;
      const deep = section.rows.find((x) => x.provider === provider && x.style === "deep")!;
      return `imports: ${provider.padEnd(10)} root ${round(root.requireMs, 0)} ms / ${round(root.maxRssMiB, 0)} MiB vs deep ${round(deep.requireMs, 0)} ms / ${round(deep.maxRssMiB, 0)} MiB: root is ${round(r.requireMs, 1)}x the require time and ${round(r.maxRssMiB, 1)}x the peak RSS`;
    }),
  ];
  return { table, summary };
}
