import { runCellctl } from "./cellctl";
import type { MovePhase } from "./moves/journal";

/**
 * `npm run cellctl -- <command>` / `npx cellctl <command>`: the only file of the control plane that
 * reads the process. `CELLCTL_EXIT_AFTER=<move step>` makes the process die right after journaling
 * that step of a move (exit 137, as a killed controller would): the crash tests use it.
 */
const exitAfter = process.env.CELLCTL_EXIT_AFTER as MovePhase | undefined;
const moveHooks = exitAfter ? { afterStep: (phase: MovePhase) => (phase === exitAfter ? process.exit(137) : undefined) } : undefined;

runCellctl(process.argv.slice(2), { env: process.env, cwd: process.cwd(), moveHooks }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cellctl: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
