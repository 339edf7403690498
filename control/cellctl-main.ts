import { runCellctl } from "./cellctl";
import type { MovePhase } from "./moves/journal";

/**
 * `npm run cellctl -- <command>` / `npx cellctl <command>`: the only file of the control plane that
 * reads the process. `CELLCTL_EXIT_AFTER=<move step>` makes the process die right after journaling
 * that step of a move (exit 137, as a killed controller would): the crash tests use it.
 */
const exitAfter = process.env.CELLCTL_EXIT_AFTER as MovePhase | undefined;
const moveHooks = exitAfter ? { afterStep: (phase: MovePhase) => (phase === exitAfter ? process.exit(137) : undefined) } : undefined;

/**
 * `cellctl watch` runs until Ctrl-C: the first SIGINT or SIGTERM stops it after the moves it runs (each
 * journaled), a second one exits at once (the journals let the next run or an operator resume them).
 */
let signal: AbortSignal | undefined;
if (process.argv.slice(2).find((arg) => !arg.startsWith("-")) === "watch") {
  const stop = new AbortController();
  signal = stop.signal;
  const onSignal = (name: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write(`\ncellctl watch: ${name}: stopping after the running moves (again to leave them to their journals)\n`);
    stop.abort();
  };
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
}

runCellctl(process.argv.slice(2), { env: process.env, cwd: process.cwd(), moveHooks, signal }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cellctl: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
