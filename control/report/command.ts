import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { DEFAULT_REPORT_DIR, LakeSourceError, SANDBOX_LAKE_DIR, parseLakeSource } from "./lake-sources";
import { formatReport, runReport } from "./report";

/**
 * `npm run report` (and `cellctl report`): reads every landing zone given with `--lake` (the sandbox's
 * lake folder by default) as one table, prints the standard views, and writes Parquet.
 * Data on stdout (`--json`: one JSON document), messages on stderr. Exit 0 on success, 1 when a lake
 * cannot be read, 2 on a usage error.
 */
export function reportCommand(): Command {
  return new Command("report")
    .description("Global report: every cell's change events from every landing zone, as one table (DuckDB)")
    .addOption(
      new Option("--lake <source...>", "landing zones to read: a folder, s3://<bucket>, az://<account>.blob.core.windows.net/<container>, abfss://<container>@<account>.dfs.core.windows.net").default(
        [SANDBOX_LAKE_DIR],
      ),
    )
    .option("--out <dir>", "where to write events.parquet and latest.parquet (a folder or s3:// / az:// URL)", DEFAULT_REPORT_DIR)
    .option("--no-parquet", "write no Parquet files")
    .option("--limit <n>", "rows of the latest-state view to print", (raw) => {
      if (!/^\d{1,7}$/.test(raw)) throw new InvalidArgumentError("must be a whole number");
      return Number(raw);
    }, 50)
    .option("--json", "print one JSON document instead of tables")
    .option("--debug", "show stack traces")
    .action(async (opts: { lake: string[]; out: string; parquet: boolean; limit: number; json?: boolean; debug?: boolean }) => {
      try {
        const sources = opts.lake.map(parseLakeSource);
        const report = await runReport({ sources, limit: opts.limit, outDir: opts.parquet ? opts.out : undefined });
        if (report.files === 0) process.stderr.write(`no lake files yet under ${sources.map((s) => s.root).join(", ")}: write some records (npm start prints how), then run the report again\n`);
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`report failed: ${message}\n`);
        if (opts.debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
        if (!(error instanceof LakeSourceError) && !opts.debug) process.stderr.write("(--debug shows the stack trace)\n");
        process.exitCode = 1;
      }
    });
}

/** Runs the command on `argv` (arguments after the program name); usage errors exit 2. */
export async function runReportCommand(argv: readonly string[]): Promise<void> {
  const command = reportCommand().exitOverride();
  try {
    await command.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.code === "commander.helpDisplayed" || error.code === "commander.version" ? 0 : 2;
      return;
    }
    throw error;
  }
}
