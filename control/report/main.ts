import { runReportCommand } from "./command";

/** `npm run report -- [--lake <source>...] [--out <dir>] [--json]`: see `command.ts`. */
runReportCommand(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`report failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
