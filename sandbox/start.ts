import * as path from "node:path";
import { SANDBOX_CONNECTION_FILE, writeConnection } from "../control/connection";
import { TOPOLOGY } from "../topology";
import { SANDBOX_LAKE_DIR } from "./lake/local-lake";
import { DEFAULT_ROUTER_PORT, startSandbox, type Sandbox } from "./sandbox";

/**
 * `npm start`: the deployed topology on this machine, until Ctrl-C. Prints the router URL, the cells
 * and curl commands to paste into another shell.
 *
 * Environment (this entry point is the only sandbox file that reads it):
 * - `SANDBOX_PORT`: the router's port (default 8787; 0 picks a free one);
 * - `SANDBOX_LOG=1`: print the router's and the cells' log lines;
 * - `SANDBOX_AUTH=off`: run the router without client authentication (by default it verifies tokens
 *   from a local issuer, and the guide prints one per tenant).
 */

function routerPort(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_ROUTER_PORT;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`SANDBOX_PORT must be a port number from 0 to 65535, got '${raw}'`);
  return port;
}

/** `SANDBOX_AUTH`: unset or `on` runs the router with client authentication, `off` without. */
function sandboxAuth(raw: string | undefined): boolean {
  if (raw === undefined || raw === "" || raw === "on") return true;
  if (raw === "off") return false;
  throw new Error(`SANDBOX_AUTH must be 'on' or 'off', got '${raw}'`);
}

/** Shell-quotes a value for the printed commands. */
const q = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

function guide(sandbox: Sandbox): string {
  const lines: string[] = [];
  lines.push(`Sandbox running. Router (edge Worker in workerd): ${sandbox.routerUrl}`, "", "Cells (signed requests only; go through the router):");
  for (const cell of Object.values(sandbox.cells)) lines.push(`  ${cell.cellId.padEnd(8)} ${cell.cloud.padEnd(6)} ${cell.url}`);
  lines.push("", "Tenants:");
  for (const tenant of TOPOLOGY.tenants) lines.push(`  ${tenant.tenantId.padEnd(8)} -> ${tenant.cellId} (${sandbox.cells[tenant.cellId]?.cloud ?? "?"})`);
  lines.push("", "Try it from another shell:", "", `  export ROUTER=${sandbox.routerUrl}`);
  const auth = sandbox.auth;
  const tokenVar = (tenantId: string) => `TOKEN_${tenantId.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
  if (auth) {
    lines.push(`  # bearer tokens from the sandbox's issuer (${auth.issuer}), one per tenant, valid for 12 h`);
    for (const { tenantId } of TOPOLOGY.tenants) lines.push(`  export ${tokenVar(tenantId)}=${auth.tokens[tenantId] ?? ""}`);
  }
  const as = (tenantId: string) => (auth ? ` -H "authorization: Bearer $${tokenVar(tenantId)}"` : "");
  for (const { tenantId } of TOPOLOGY.tenants) {
    const records = `$ROUTER/api/tenants/${tenantId}/records/hello`;
    lines.push(
      "",
      `  # ${tenantId}: write a record, then read it (see X-Processed-By-Cloud and X-Cell-Id)`,
      `  curl -sS -X PUT ${records}${as(tenantId)} -H 'content-type: application/json' -d ${q(JSON.stringify({ data: { msg: "hi" } }))}`,
      `  curl -sS -i ${records}${as(tenantId)}`,
      `  # the seed's shape`,
      `  curl -sS -X POST $ROUTER/api/process${as(tenantId)} -H 'content-type: application/json' -d ${q(JSON.stringify({ tenant_id: tenantId }))}`,
    );
  }
  const [first, second] = TOPOLOGY.tenants;
  if (auth && first && second) {
    lines.push(
      "",
      "  # without a token: 401; with one tenant's token on another tenant's data: 403",
      `  curl -sS -i $ROUTER/api/tenants/${first.tenantId}/records/hello`,
      `  curl -sS -i $ROUTER/api/tenants/${second.tenantId}/records/hello${as(first.tenantId)}`,
    );
  }
  lines.push(
    "",
    "  # an unknown tenant is a 404 problem; a second PUT of the same record without expected_version is a 409",
    `  curl -sS -i $ROUTER/api/tenants/T-999/records/hello${auth ? ` -H "authorization: Bearer ${auth.mint("T-999")}"` : ""}`,
    "",
    `Operate it with cellctl (it reads ${SANDBOX_CONNECTION_FILE}; no flags, no account):`,
    "",
    "  npm run cellctl -- cells",
    "  npm run cellctl -- tenants",
    "  npm run cellctl -- place T-300",
    "",
    "Evacuation on degradation: run the control loop in one shell, break a cell's store in another:",
    "",
    "  npm run cellctl -- watch --policy evacuate",
    "  npm run cellctl -- sandbox fault alpha --delay 800 --errors 0.3   # T-100 moves to beta by itself",
    "  npm run cellctl -- sandbox clear alpha                            # alpha recovers; nothing moves back",
    "",
    "Keep a standby of T-100 on the Azure cell, take the AWS cell down, fail over, bring it back, reconcile:",
    "",
    "  npm run cellctl -- standby T-100 --cell beta",
    "  npm run cellctl -- sandbox stop-cell alpha --store",
    "  npm run cellctl -- failover T-100",
    "  npm run cellctl -- sandbox start-cell alpha",
    "  npm run cellctl -- reconcile T-100",
    "",
    `Every change lands in the local reporting lake (${sandbox.lake?.dir ?? SANDBOX_LAKE_DIR}, one folder per cell); read both clouds as one table:`,
    "",
    "  npm run report",
    "",
    "Ctrl-C stops everything.",
  );
  return lines.join("\n");
}

const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

/**
 * A second signal this soon after the first is the same request delivered twice. `npm start` runs
 * `exec node ... sandbox/start.ts` (package.json): `exec` replaces npm's `sh -c`, which would not pass
 * signals on, so npm forwards SIGINT and SIGTERM straight here; a Ctrl-C in a terminal reaches this
 * process from the terminal too.
 */
const SAME_SIGNAL_MS = 500;

/**
 * Makes `handler` the only visible answer to SIGINT and SIGTERM. Miniflare's exit hook answers both
 * with an immediate `process.exit(130 / 143)`, which would cut `close()` short (cells, stores and
 * workerd not stopped in order, exit code not 0). Its `exit` hook stays: it still stops workerd should
 * the process ever exit without closing.
 */
function ownSignals(handler: (signal: NodeJS.Signals) => void): void {
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) if (listener !== handler) process.removeListener(signal, listener);
  }
}

async function main(): Promise<void> {
  const log = process.env.SANDBOX_LOG === "1" ? (line: string) => console.log(line) : undefined;
  const starting = startSandbox({ topology: TOPOLOGY, routerPort: routerPort(process.env.SANDBOX_PORT), log, auth: sandboxAuth(process.env.SANDBOX_AUTH), lakeDir: SANDBOX_LAKE_DIR, standby: true });

  let stoppingSince: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // One Ctrl-C often arrives twice (from the terminal, and forwarded by npm): only a later one forces.
      if (Date.now() - stoppingSince < SAME_SIGNAL_MS) return;
      console.error(`\n${signal} again: exiting without cleaning up`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    console.log(`\n${signal}: stopping the sandbox (again to force)...`);
    starting
      .then((sandbox) => sandbox.close())
      .then(
        () => {
          console.log("Sandbox stopped.");
          process.exit(0);
        },
        (error: unknown) => {
          console.error("Sandbox did not stop cleanly:", error);
          process.exit(1);
        },
      );
  };
  for (const signal of SIGNALS) process.on(signal, stop);

  console.log("Starting the sandbox: store emulators, cells, router...");
  const sandbox = await starting;
  ownSignals(stop);
  writeConnection(path.resolve(SANDBOX_CONNECTION_FILE), sandbox.connection);
  if (stoppingSince === undefined) console.log(`\n${guide(sandbox)}`);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`The sandbox could not start: ${message}`);
  if (/address already in use/i.test(message)) console.error("Another port: SANDBOX_PORT=8788 npm start (0 picks any free port).");
  process.exit(1);
});
