import { Command, CommanderError, Option } from "commander";
import { AdminCallError } from "./admin-client";
import { processIo, type Io } from "./cli/output";
import { setCellStatusCommand } from "./commands/cell-status";
import { evacuateCommand } from "./commands/evacuate";
import { moveCommand, movesCommand, purgeCommand } from "./commands/move";
import { initCommand, placeCommand } from "./commands/place";
import { registryExportCommand, registryImportCommand } from "./commands/registry-backup";
import { sandboxFaultsCommand, type FaultOptions } from "./commands/sandbox-faults";
import { approveCommand, killSwitchCommand, plansCommand, watchCommand, type WatchOptions } from "./commands/watch";
import { sandboxCellCommand, sandboxCellsCommand } from "./commands/sandbox";
import { failbackCommand, failoverCommand, reconcileCommand, standbyCommand } from "./commands/standby";
import { cellsCommand, tenantsCommand } from "./commands/status";
import { ConnectionError, loadConnection } from "./connection";
import { CliError, ControlPlane } from "./control-plane";
import { runDeployCli } from "./deploy/command";
import { JournalStore, journalDir } from "./moves/journal";
import type { MoveHooks } from "./moves/move";
import { RegistryUnavailableError } from "./registry/port";
import { runReportCommand } from "./report/command";
import { TOPOLOGY } from "../topology";

/** What one `cellctl` run needs from its surroundings (tests pass their own). */
export interface CellctlEnv {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Builds the output channels once `--json` is known. @default the process's streams */
  readonly io?: (json: boolean) => Io;
  /** Hooks into moves (tests stand for a crashed controller with them). */
  readonly moveHooks?: Omit<MoveHooks, "progress">;
  /** Stops a long-running command (`cellctl watch`): Ctrl-C in the process, or a test. */
  readonly signal?: AbortSignal;
}

type Action = (plane: ControlPlane, io: Io) => Promise<number>;

/**
 * `cellctl`, the operator CLI of the control plane. Runs one command and resolves its exit code:
 * 0 success, 1 a failure the user can act on (one line says what to do), 2 a usage error. No stack
 * trace unless `--debug`.
 */
export async function runCellctl(argv: readonly string[], surroundings: CellctlEnv): Promise<number> {
  // `cellctl deploy ...` is `npm run deploy -- ...`: the same command, with its own options.
  if (argv[0] === "deploy") {
    return runDeployCli(argv.slice(1), {
      topology: TOPOLOGY,
      env: surroundings.env,
      cwd: surroundings.cwd,
      stdout: (text) => process.stdout.write(text),
      stderr: (line) => process.stderr.write(`${line}\n`),
    });
  }
  // `cellctl report ...` is `npm run report -- ...`.
  if (argv[0] === "report") {
    await runReportCommand(argv.slice(1));
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  }
  let exitCode = 0;
  const journalRoot = journalDir(surroundings.env, surroundings.cwd);
  const journals = new JournalStore(journalRoot);
  const hooks = surroundings.moveHooks ?? {};
  let pending: { action: Action; json: boolean; debug: boolean } | undefined;
  const program = new Command("cellctl")
    .description("Operate the cells: see where tenants live, place them, take cells out of rotation, move tenants between clouds.")
    .addOption(new Option("--json", "print one JSON document on stdout instead of a table"))
    .addOption(new Option("--debug", "print stack traces of unexpected errors"))
    .showHelpAfterError("(run 'cellctl --help' for the commands)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  const run = (action: Action) => () => {
    const { json, debug } = program.opts<{ json?: boolean; debug?: boolean }>();
    pending = { action, json: json ?? false, debug: debug ?? false };
  };

  program.command("cells").description("the registry's cells with their health and load, as each cell reports").action(run((plane, io) => cellsCommand(plane, io)));
  program
    .command("tenants")
    .description("every tenant: where the registry sends it, which cell owns it, its standby's lag; mismatches and lagging standbys are flagged")
    .option("--cell <cell>", "only tenants on this cell")
    .option("--max-lag <seconds>", "flag a standby further behind than this", "30")
    .action((options: { cell?: string; maxLag?: string }) => run((plane, io) => tenantsCommand(plane, io, options))());
  program
    .command("place <tenant>")
    .description("onboard a tenant: on --cell, or on the active cell with the lowest utilisation")
    .option("--cell <cell>", "the cell to place it on")
    .action((tenant: string, options: { cell?: string }) => run((plane, io) => placeCommand(plane, io, tenant, options))());
  program
    .command("init")
    .description("give every tenant of topology.ts its ownership record and registry entry (once, after the first deploy; tenants owned elsewhere are left there)")
    .action(() => run((plane, io) => initCommand(plane, io, TOPOLOGY.tenants))());
  program
    .command("drain <cell>")
    .description("take a cell out of placement; its tenants keep being served")
    .action((cell: string) => run((plane, io) => setCellStatusCommand(plane, io, cell, "draining"))());
  program
    .command("activate <cell>")
    .description("put a drained cell back into placement")
    .action((cell: string) => run((plane, io) => setCellStatusCommand(plane, io, cell, "active"))());
  program
    .command("move <tenant>")
    .description("move a live tenant to another cell (any cloud) with zero lost writes; resumable")
    .option("--to <cell>", "the cell to move it to (default: the active cell with the lowest utilisation)")
    .option("--resume", "finish a move that stopped, from its journal")
    .option("--abort", "undo a move that has not cut over: the tenant stays on its source")
    .action((tenant: string, options: { to?: string; resume?: boolean; abort?: boolean }) => run((plane, io) => moveCommand(plane, io, journals, tenant, options, hooks))());
  program
    .command("moves")
    .description("the moves journaled on this machine and where each stands")
    .action(() => run((_plane, io) => movesCommand(io, journals))());
  program
    .command("evacuate <cell>")
    .description("drain a cell and move every tenant off it; run it again to resume")
    .option("--to <cell>", "move every tenant to this cell (default: by capacity)")
    .option("--parallel <n>", "tenants moved at a time", (v) => Number(v), 2)
    .action((cell: string, options: { to?: string; parallel?: number }) => run((plane, io) => evacuateCommand(plane, io, journals, journalRoot, cell, options, hooks))());
  program
    .command("purge <tenant>")
    .description("delete a moved tenant's old copy from the cell it left")
    .requiredOption("--cell <cell>", "the cell the tenant moved away from")
    .action((tenant: string, options: { cell: string }) => run((plane, io) => purgeCommand(plane, io, tenant, options))());
  program
    .command("standby <tenant>")
    .description("keep a continuously replicated copy of a tenant on another cell (seed, then every committed change); --off drops it")
    .option("--cell <cell>", "the cell to hold the standby")
    .option("--off", "drop the tenant's standby")
    .option("--wait <seconds>", "how long to wait for the first confirmed replication point", "120")
    .action((tenant: string, options: { cell?: string; off?: boolean; wait?: string }) => run((plane, io) => standbyCommand(plane, io, tenant, options))());
  program
    .command("failover <tenant>")
    .description("the primary cannot be reached: promote the tenant's standby (after the primary's write lease ran out) and route to it")
    .option("--to <cell>", "the standby to promote (default: the tenant's standby)")
    .option("--wait <seconds>", "how long to wait for the old primary's write lease to run out", "600")
    .action((tenant: string, options: { to?: string; wait?: string }) => run((plane, io) => failoverCommand(plane, io, tenant, options))());
  program
    .command("reconcile <tenant>")
    .description("after a failover: the writes the old primary committed that never reached the new owner (fences the old primary first)")
    .option("--apply", "write the applicable ones onto the new owner as new versions (conflicts never)")
    .option("--id <record...>", "with --apply: only these records")
    .action((tenant: string, options: { apply?: boolean; id?: string[] }) => run((plane, io) => reconcileCommand(plane, io, tenant, options))());
  program
    .command("failback <tenant>")
    .description("return a failed-over tenant to its original cell once it is healthy (a live move), and make the other cell its standby again")
    .option("--discard-unreconciled", "give up the old primary's changes that 'reconcile' still lists")
    .option("--no-standby", "do not set the standby up again")
    .option("--wait <seconds>", "how long to wait for the new standby's first confirmed point", "120")
    .action((tenant: string, options: { discardUnreconciled?: boolean; standby?: boolean; wait?: string }) => run((plane, io) => failbackCommand(plane, io, journals, tenant, options, hooks))());
  const sandbox = program.command("sandbox").description("the local sandbox only ('npm start'): take a cell down as an outage would, bring it back, inject store faults");
  sandbox
    .command("stop-cell <cell>")
    .description("stop a cell's compute (and with --store its store): as an outage of its region")
    .option("--store", "take its store down too")
    .action((cell: string, options: { store?: boolean }) => run((plane, io) => sandboxCellCommand(plane, io, "stop", cell, options))());
  sandbox
    .command("start-cell <cell>")
    .description("bring a stopped cell back, with its store")
    .action((cell: string) => run((plane, io) => sandboxCellCommand(plane, io, "start", cell, {}))());
  sandbox
    .command("cells")
    .description("the sandbox's cells and whether each runs")
    .action(() => run((plane, io) => sandboxCellsCommand(plane, io))());
  program.command("deploy").description("deploy the stacks in waves (the same as 'npm run deploy'; 'cellctl deploy --help')");
  program.command("report").description("the global report over every cell's lake (the same as 'npm run report'; 'cellctl report --help')");
  const registry = program.command("registry").description("back up and restore the live registry");
  registry
    .command("export")
    .description("write the whole registry as JSON (stdout, or --out)")
    .option("--out <file>", "write to this file instead of stdout")
    .action((options: { out?: string }) => run((plane, io) => registryExportCommand(plane, io, options))());
  registry
    .command("import <file>")
    .description("restore a registry export (every entry is checked first)")
    .option("--dry-run", "check the file, write nothing")
    .action((file: string, options: { dryRun?: boolean }) => run((plane, io) => registryImportCommand(plane, io, file, options))());

  program
    .command("watch")
    .description("the control loop: judge every cell's health each window and act on the policy (drain, evacuate, fail over) within its guard rails")
    .option("--policy <name|file>", "a built-in policy (observe, drain, evacuate, failover) or a JSON policy file", "observe")
    .option("--dry-run", "decide and print what it would do; do nothing, write nothing")
    .option("--interval <seconds>", "seconds between windows (overrides the policy's intervalSeconds)", Number)
    .option("--windows <n>", "stop after this many windows", Number)
    .option("--for <seconds>", "stop after this many seconds (a scheduled job's run)", Number)
    .action((options: WatchOptions) =>
      run((plane, io) => watchCommand(plane, io, journals, journalRoot, options, { env: surroundings.env, cwd: surroundings.cwd, signal: surroundings.signal, moveHooks: hooks }))(),
    );
  program
    .command("killswitch [state]")
    .description("show the kill switch, or turn it 'on' (every cellctl watch keeps watching and does nothing) or 'off'")
    .option("--reason <text>", "why, for the record and the loop's log")
    .action((state: string | undefined, options: { reason?: string }) => run((plane, io) => killSwitchCommand(plane, io, state, options, surroundings.env))());
  program
    .command("approve <plan>")
    .description("approve a plan cellctl watch holds back above its blast radius")
    .action((plan: string) => run((plane, io) => approveCommand(plane, io, plan, surroundings.env))());
  program.command("plans").description("the plans cellctl watch asked approval for").action(() => run((plane, io) => plansCommand(plane, io))());

  sandbox
    .command("fault <cell>")
    .description("put faults between a cell and its store, replacing its current ones")
    .option("--delay <ms>", "delay every chunk towards the store by this many ms (a slow store)", Number)
    .option("--errors <share>", "cut this share (0 to 1) of store requests before they reach the store (errors)", Number)
    .option("--drop <share>", "lose this share (0 to 1) of store answers after the request was applied", Number)
    .option("--freeze", "hold every byte: a frozen store")
    .option("--refuse", "refuse connections: an unreachable store")
    .action((cell: string, options: FaultOptions) => run((plane, io) => sandboxFaultsCommand(plane, io, "set", cell, options))());
  sandbox
    .command("clear <cell>")
    .description("remove a cell's store faults")
    .action((cell: string) => run((plane, io) => sandboxFaultsCommand(plane, io, "clear", cell))());
  sandbox
    .command("faults")
    .description("every cell's store faults and what its fault proxy did")
    .action(() => run((plane, io) => sandboxFaultsCommand(plane, io, "list"))());

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  if (!pending) return 0;
  const io = (surroundings.io ?? ((json) => processIo(json, surroundings.env)))(pending.json);
  try {
    const plane = new ControlPlane(loadConnection(surroundings.env, surroundings.cwd), { env: surroundings.env });
    exitCode = await pending.action(plane, io);
  } catch (error) {
    exitCode = error instanceof CliError ? error.exitCode : 1;
    const known = error instanceof CliError || error instanceof AdminCallError || error instanceof ConnectionError || error instanceof RegistryUnavailableError;
    io.err(`cellctl: ${error instanceof Error ? error.message : String(error)}`);
    if (!known) io.err(pending.debug && error instanceof Error && error.stack ? error.stack : "(an unexpected error; run again with --debug for its stack trace)");
  }
  return exitCode;
}
