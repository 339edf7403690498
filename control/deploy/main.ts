import * as path from "node:path";
import { TOPOLOGY } from "../../topology";
import { runDeployCli } from "./command";

/**
 * `npm run deploy -- [options]`: the entry point (see `command.ts`). The first SIGINT or SIGTERM
 * lets the running cdktf deploys stop cleanly and starts nothing new; a second one exits at once.
 */
const abort = new AbortController();
let signalled = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (signalled) process.exit(130);
    signalled = true;
    process.stderr.write(`\n${signal}: stopping after the running deploys (again to exit at once)\n`);
    abort.abort();
  });
}

runDeployCli(process.argv.slice(2), {
  topology: TOPOLOGY,
  env: process.env,
  cwd: path.resolve(__dirname, "..", ".."),
  stdout: (text) => process.stdout.write(text),
  stderr: (line) => process.stderr.write(`${line}\n`),
  signal: abort.signal,
}).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`deploy failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
