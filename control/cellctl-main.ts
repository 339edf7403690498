import { runCellctl } from "./cellctl";

/** `npm run cellctl -- <command>` / `npx cellctl <command>`: the only file of the control plane that reads the process. */
runCellctl(process.argv.slice(2), { env: process.env, cwd: process.cwd() }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cellctl: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
