import { EDGE_STACK_NAME } from "../../topology";
import { deployArgs, wasDeployed, type DeployReport, type DeploySettings, type StackOutcome } from "./orchestrator";
import type { DeployPlan } from "./plan";

/** How people read a plan (`--dry-run`) and a finished rollout. Plain lines, deterministic. */

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/** `--dry-run`: the steps, the health gates, and the exact commands, in order. */
export function formatPlan(plan: DeployPlan, settings: DeploySettings, passthrough: readonly string[]): string {
  const lines = ["Deploy plan (dry run: nothing runs)", ""];
  const commands: string[] = [];
  for (const step of plan.steps) {
    if (step.kind === "synth") {
      lines.push("  synth    cdktf synth, once for every stack");
      commands.push("cdktf synth");
    } else if (step.kind === "edge") {
      lines.push(`  edge     ${EDGE_STACK_NAME}${step.when === "first" ? " (before wave 0: --edge-first)" : ""}`);
      commands.push(["cdktf", ...deployArgs(EDGE_STACK_NAME, `<outputs>/${EDGE_STACK_NAME}.json`, passthrough)].join(" "));
    } else {
      const stacks = step.cells.map((c) => c.stack);
      const label = `wave ${step.wave}${step.wave === 0 ? " (canary)" : ""}`;
      const parallel = stacks.length > 1 ? `, ${Math.min(settings.parallel, stacks.length)} at a time` : "";
      lines.push(`  ${`wave ${step.wave}`.padEnd(7)}  ${stacks.join(", ")}${step.wave === 0 ? " (canary)" : ""}${parallel}`);
      lines.push(
        `           then GET /healthz of ${step.cells.map((c) => c.cellId).join(", ")} through the endpoint-url output (up to ${seconds(settings.healthTimeoutMs)}), ` +
          `healthy through a bake of ${seconds(settings.bakeMs)}; an unhealthy ${label} stops the rollout`,
      );
      for (const stack of stacks) commands.push(["cdktf", ...deployArgs(stack, `<outputs>/${stack}.json`, passthrough)].join(" "));
    }
  }
  if (plan.skipped.length > 0) lines.push("", `Not in this run: ${plan.skipped.join(", ")}`);
  lines.push("", "Commands:", ...commands.map((c) => `  ${c}`));
  return `${lines.join("\n")}\n`;
}

const where = (o: StackOutcome): string => (o.wave !== undefined ? `wave ${o.wave}` : o.edge === "first" ? "edge, before wave 0" : "edge");

const describe = (o: StackOutcome): string => `${o.stack} (${where(o)}${o.status === "not started" || o.status === "deployed" ? "" : `, ${o.status}`}${o.detail ? `: ${o.detail}` : ""})`;

/** The end of a rollout: what was deployed, what was not, and what to do next. */
export function formatReport(report: DeployReport): string {
  const deployed = report.stacks.filter(wasDeployed);
  const notDeployed = report.stacks.filter((o) => !wasDeployed(o));
  const head =
    report.outcome === "done"
      ? `Deployed ${deployed.length} stack${deployed.length === 1 ? "" : "s"}.`
      : `Deploy ${report.outcome === "interrupted" ? "interrupted" : "stopped"} at ${report.stoppedAt}${report.outcome === "unhealthy" ? ": a cell is not healthy" : report.outcome === "failed" ? ": a step failed" : ""}.`;
  const lines = [head, `  deployed:      ${deployed.map(describe).join("; ") || "nothing"}`];
  if (report.outcome !== "done") lines.push(`  not deployed:  ${notDeployed.map(describe).join("; ") || "nothing"}`, `  next: ${report.next}`);
  return `${lines.join("\n")}\n`;
}
