import type { Io } from "../cli/output";
import type { ActionOutcome, CellDecision, HeldAction, WatchAction } from "./decide";

/**
 * The loop's log: one line per decision with its evidence, on stdout (it is the command's output),
 * as text for people or, with `--json`, one JSON object per line (`type`: `cell`, `action`, `held`,
 * `outcome`, `notice`).
 */
export class WatchLog {
  constructor(
    private readonly io: Io,
    private readonly now: () => number,
  ) {}

  private line(record: Record<string, unknown>, text: string): void {
    const time = new Date(this.now()).toISOString();
    this.io.out(this.io.json ? JSON.stringify({ time, ...record }) : `${time.slice(11, 19)} ${text}`);
  }

  cell(d: CellDecision): void {
    const change = d.changed ? `${d.condition} (was ${d.previous})` : d.condition;
    const streak = d.verdict === "ok" ? `${d.streak.ok} good` : `${d.streak.bad} bad${d.streak.down > 0 ? `, ${d.streak.down} down` : ""}`;
    const why = d.reasons.length > 0 ? d.reasons.join("; ") : summary(d.evidence);
    this.line(
      { type: "cell", cell: d.cellId, condition: d.condition, previous: d.previous, changed: d.changed, window: d.verdict, reasons: d.reasons, evidence: d.evidence, streak: d.streak, needed: d.needed, registry_status: d.registryStatus },
      `${d.cellId.padEnd(8)} ${change.padEnd(9)} window ${d.verdict} (${streak} in a row): ${why} [registry: ${d.registryStatus}]`,
    );
  }

  action(a: WatchAction, dryRun: boolean): void {
    this.line({ type: "action", dry_run: dryRun, ...actionFields(a) }, `${dryRun ? "would " : ""}${describe(a)}: ${a.why}`);
  }

  held(h: HeldAction): void {
    this.line({ type: "held", action: h.kind, cell: h.cellId, tenants: h.tenants, why: h.why }, `held ${h.kind} ${h.tenants.length > 0 ? `${h.tenants.join(", ")} ` : ""}(${h.cellId}): ${h.why}`);
  }

  outcome(a: WatchAction, o: ActionOutcome): void {
    const status = o.ok ? "done" : o.unsupported ? "unsupported" : "journaled" in o && o.journaled ? "stopped" : "failed";
    this.line({ type: "outcome", status, ...actionFields(a), ...(o.ok ? { detail: o.detail ?? null } : { error: o.error }) }, `${status} ${describe(a)}: ${o.ok ? (o.detail ?? "ok") : o.error}`);
  }

  notice(text: string, fields: Record<string, unknown> = {}): void {
    this.line({ type: "notice", message: text, ...fields }, text);
  }
}

function actionFields(a: WatchAction): Record<string, unknown> {
  switch (a.kind) {
    case "drain":
    case "activate":
      return { action: a.kind, cell: a.cellId, plan: a.planId };
    case "move":
    case "resume":
      return { action: a.kind, tenant: a.tenantId, from: a.from, to: a.to, plan: a.planId, ...(a.kind === "move" ? { reason: a.reason } : {}) };
    case "failover":
      return { action: a.kind, cell: a.cellId, tenants: a.tenants, plan: a.planId };
    case "request-approval":
      return { action: a.kind, cell: a.plan.cellId, plan: a.plan.id, tenants: a.plan.tenants, blast: a.plan.blast };
  }
}

function describe(a: WatchAction): string {
  switch (a.kind) {
    case "drain":
    case "activate":
      return `${a.kind} ${a.cellId}`;
    case "move":
    case "resume":
      return `${a.kind} ${a.tenantId} ${a.from} -> ${a.to}`;
    case "failover":
      return `failover ${a.cellId} (${a.tenants.join(", ")})`;
    case "request-approval":
      return `approval needed for ${a.plan.id} (${a.plan.action} ${a.plan.cellId}: ${a.plan.tenants.length} tenants)`;
  }
}

/** A good window's evidence in a few words. */
function summary(e: CellDecision["evidence"]): string {
  const parts: string[] = [];
  if (e.cell === "unreachable") parts.push("cell unreachable");
  if (typeof e.probe_ms === "number") parts.push(`probe ${e.probe_ms} ms`);
  if (typeof e.cell_requests === "number") parts.push(e.cell_requests === 0 ? "no tenant requests" : `cell ${e.cell_errors}/${e.cell_requests} errors`);
  if (e.edge_requests === 0) parts.push("no edge calls");
  else if (typeof e.edge_requests === "number") parts.push(`edge ${e.edge_errors}/${e.edge_requests} errors, p99 ${e.edge_p99_ms} ms`);
  if (e.edge === "unavailable") parts.push("edge figures unavailable");
  return parts.join(", ") || "no figures";
}
