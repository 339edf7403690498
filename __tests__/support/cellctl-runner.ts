import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { runCellctl, type CellctlEnv } from "../../control/cellctl";
import type { Io } from "../../control/cli/output";
import { SANDBOX_CONNECTION_FILE, writeConnection, type Connection } from "../../control/connection";

/** What one in-process `cellctl` run printed, and its exit code. */
export interface CellctlRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** stdout parsed, when it is JSON (`--json`). */
  readonly json: any;
}

/**
 * `cellctl` as an operator runs it against a sandbox: a working directory of its own holding the
 * sandbox's connection file, each command run in-process with its output captured.
 */
export function cellctlIn(connection: Connection, prefix: string, extra: Partial<CellctlEnv> = {}) {
  const cwd = mkdtempSync(path.join(tmpdir(), prefix));
  writeConnection(path.join(cwd, SANDBOX_CONNECTION_FILE), connection);
  return { cwd, cellctl: (...argv: string[]) => runIn(cwd, argv, extra), dispose: () => rmSync(cwd, { recursive: true, force: true }) };
}

/** Runs one `cellctl` command in-process in `cwd`, capturing what it printed. */
export async function runIn(cwd: string, argv: readonly string[], extra: Partial<CellctlEnv> = {}): Promise<CellctlRun> {
  let out = "";
  let err = "";
  const io = (json: boolean): Io => ({ out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), interactive: false, json });
  const code = await runCellctl(argv, { env: {}, cwd, io, ...extra });
  let json: unknown;
  try {
    json = JSON.parse(out);
  } catch {
    json = undefined;
  }
  return { code, out, err, json };
}
