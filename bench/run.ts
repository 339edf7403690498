/**
 * `npm run bench`: the numbers behind ARCHITECTURE.md's "Performance budgets", measured, never asserted.
 *
 *     npm run bench                          # every section
 *     npm run bench -- --quick               # fewer repeats and requests (about 1.5 minutes)
 *     npm run bench -- --only=synth,imports  # some sections: synth, imports, router, bundles, lake, moves, standby
 *
 * Sections:
 * 1. synth    - synth time and peak RSS for the real app and 2/10/50/100-cell topologies, each in a
 *               fresh process (bench/synth.ts, bench/synth-child.ts), and the per-cell slope;
 * 2. imports  - provider packages loaded from their root vs the deep paths this project imports,
 *               each in a fresh plain node process (bench/imports.ts, bench/import-child.cjs);
 * 3. router   - latency percentiles and throughput through the edge router vs straight to the cell,
 *               on the local sandbox (bench/router-overhead.ts);
 * 4. bundles  - Worker, Lambda and Function package sizes, raw, gzip and zip (bench/bundles.ts);
 * 5. lake     - the lag from a committed write to its event in the landing zone under a steady write
 *               load, per cloud, on the sandbox's lake pumps, and the report's time over 100,000
 *               synthetic events (bench/lake.ts);
 * 6. moves    - live tenant moves each direction at 1,000 and 10,000 records: copy rate, catch-up,
 *               write pause as the controller and a writing client saw it (bench/moves.ts);
 * 7. standby  - replication lag p50/p99 each way under a steady write load (both directions at once),
 *               and the time from `cellctl failover` to the first write the new owner accepts, on the
 *               sandbox's replication consumers (bench/standby.ts).
 *
 * Tables go to stdout, progress to stderr, and everything (with node version, CPU, date, commit) to
 * bench/results/local/latest.json (git-ignored). `-- --update` writes the committed
 * bench/results/latest.json instead: do that from a clean run at a named commit, with the README's
 * figures taken from the same run. Runs offline with no cloud account.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { formatBundlesSection, runBundlesSection } from "./bundles";
import { ROOT } from "./child";
import { benchEnvironment } from "./environment";
import { formatImportsSection, runImportsSection } from "./imports";
import { formatLakeSection, runLakeSection } from "./lake";
import { formatMovesSection, runMovesSection } from "./moves";
import { formatRouterSection, runRouterSection } from "./router-overhead";
import { formatStandbySection, runStandbySection } from "./standby";
import { formatSynthSection, runSynthSection } from "./synth";
import { printSection, round } from "./table";

const SECTIONS = ["synth", "imports", "router", "bundles", "lake", "moves", "standby"] as const;
type Section = (typeof SECTIONS)[number];

/** The committed results, which the README's figures come from; written only with `--update`. */
export const RESULTS_FILE = path.join(ROOT, "bench", "results", "latest.json");
/** Where an ordinary run writes (git-ignored), so a bench run never dirties tracked files. */
export const LOCAL_RESULTS_FILE = path.join(ROOT, "bench", "results", "local", "latest.json");

const USAGE = `usage: npm run bench -- [--quick] [--only=${SECTIONS.join(",")}] [--update]`;

export interface Args {
  readonly quick: boolean;
  readonly only: readonly Section[];
  /** Write the committed results file instead of the git-ignored one. */
  readonly update: boolean;
}

export function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let update = false;
  let only: Section[] = [...SECTIONS];
  for (const arg of argv) {
    if (arg === "--quick") quick = true;
    else if (arg === "--update") update = true;
    else if (arg.startsWith("--only=")) {
      const names = arg.slice("--only=".length).split(",").map((s) => s.trim()).filter(Boolean);
      const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (unknown.length > 0 || names.length === 0) throw new Error(`--only takes a comma-separated list of ${SECTIONS.join(", ")}; got '${arg.slice(7)}'`);
      only = SECTIONS.filter((s) => names.includes(s));
    } else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument '${arg}'; ${USAGE}`);
  }
  return { quick, only, update };
}

/** The file a run writes its samples to. */
export const resultsFileFor = (args: Pick<Args, "update">): string => (args.update ? RESULTS_FILE : LOCAL_RESULTS_FILE);

/** What each section runs with; `--quick` trades precision for time. */
function settings(quick: boolean) {
  return {
    synth: { sizes: [2, 10, 50, 100], repeats: quick ? 1 : 3 },
    imports: { repeats: quick ? 1 : 3 },
    router: quick
      ? { requests: 200, warmup: 50, concurrency: 16, throughputRequests: 400, blockSize: 50 }
      : { requests: 1000, warmup: 200, concurrency: 16, throughputRequests: 2000, blockSize: 50 },
    lake: { seconds: quick ? 10 : 30, ratePerTenant: 20, reportEvents: 100_000, reportRepeats: quick ? 1 : 3 },
    moves: { sizes: quick ? [1_000] : [1_000, 10_000] },
    standby: { seconds: quick ? 10 : 30, ratePerTenant: 5 },
  };
}

/** JSON replacer: fractions to 3 decimals (µs for ms values), which is more than these numbers can tell. */
const roundNumbers = (_key: string, value: unknown): unknown => (typeof value === "number" && !Number.isInteger(value) ? round(value, 3) : value);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = settings(args.quick);
  const environment = benchEnvironment();
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`[bench ${round((performance.now() - started) / 1000, 1)}s] ${line}\n`);

  console.log(`cells benchmark - ${environment.date}`);
  console.log(
    `node ${environment.node} on ${environment.cpuModel} x${environment.cpuCount}, ${environment.totalMemoryMiB} MiB, ${environment.platform}; ` +
      `load average at start ${environment.loadAverageAtStart.join(" / ")}; commit ${environment.git ? `${environment.git.commit.slice(0, 12)}${environment.git.dirty ? " (+ uncommitted changes)" : ""}` : "unknown"}`,
  );
  console.log(`sections: ${args.only.join(", ")}${args.quick ? " (--quick)" : ""}`);

  const results: Record<string, unknown> = {};
  const failures: string[] = [];
  const run = async (section: Section, body: () => Promise<void>) => {
    if (!args.only.includes(section)) return;
    const sectionStart = performance.now();
    try {
      await body();
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push(section);
      results[section] = { error: message };
      console.log(`\n== ${section}: FAILED\n${message}`);
    }
    log(`${section} done in ${round((performance.now() - sectionStart) / 1000, 1)} s`);
  };

  await run("synth", async () => {
    const section = await runSynthSection({ ...config.synth, log });
    results.synth = section;
    const { table, summary } = formatSynthSection(section);
    printSection("1. Synth cost and how it grows", table, summary);
  });
  await run("imports", async () => {
    const section = await runImportsSection({ ...config.imports, log });
    results.imports = section;
    const { table, summary } = formatImportsSection(section);
    printSection("2. Provider import cost: package root vs deep paths", table, summary);
  });
  await run("router", async () => {
    const section = await runRouterSection({ ...config.router, log });
    results.router = section;
    const { table, summary } = formatRouterSection(section);
    printSection("3. Router overhead: through the edge router vs straight to the cell", table, summary);
  });
  await run("bundles", async () => {
    const section = await runBundlesSection();
    results.bundles = section;
    const { table, summary } = formatBundlesSection(section);
    printSection("4. Bundle sizes", table, summary);
  });
  await run("lake", async () => {
    const section = await runLakeSection({ ...config.lake, log });
    results.lake = section;
    const { table, summary } = formatLakeSection(section);
    printSection("5. Reporting lake: write-to-landing lag per cloud, report time over 100,000 events", table, summary);
  });
  await run("moves", async () => {
    const section = await runMovesSection({ ...config.moves, log });
    results.moves = section;
    const { table, summary } = formatMovesSection(section);
    printSection("6. Live tenant moves: copy rate and write pause per direction and size, under a writing client", table, summary);
  });
  await run("standby", async () => {
    const section = await runStandbySection({ ...config.standby, log });
    results.standby = section;
    const { table, summary } = formatStandbySection(section);
    printSection("7. Cross-cloud standby: replication lag each way, failover to the first write on the new owner", table, summary);
  });

  const totalSeconds = (performance.now() - started) / 1000;
  const resultsFile = resultsFileFor(args);
  mkdirSync(path.dirname(resultsFile), { recursive: true });
  writeFileSync(
    resultsFile,
    `${JSON.stringify({ environment, arguments: { quick: args.quick, only: args.only }, settings: config, totalSeconds, failures, results }, roundNumbers, 2)}\n`,
  );
  console.log(`\nresults: ${path.relative(process.cwd(), resultsFile)} (${round(totalSeconds, 0)} s in all)${args.update ? "" : "; -- --update writes the committed bench/results/latest.json"}`);
  if (failures.length > 0) {
    console.log(`failed sections: ${failures.join(", ")}`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
