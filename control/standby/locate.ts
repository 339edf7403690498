import { isTenantId, TENANT_ID_PATTERN } from "../../contract";
import type { AdminClient, OwnershipRecord } from "../admin-client";
import { surveyCells, type CellReport } from "../commands/status";
import { CliError, ControlPlane } from "../control-plane";

/** One cell's record of a tenant, from a survey of every registered cell. */
export interface Holder {
  readonly cellId: string;
  readonly ownership: OwnershipRecord;
}

/** Where a tenant is, as the reachable cells say: its holders, and the cells that could not answer. */
export interface TenantWhereabouts {
  readonly tenantId: string;
  readonly reports: readonly CellReport[];
  readonly holders: readonly Holder[];
  readonly unreachable: readonly string[];
}

/** Checks a tenant id given on the command line (a usage error otherwise). */
export function checkTenantId(tenantId: string): void {
  if (!isTenantId(tenantId)) throw new CliError(`tenant id must match ${TENANT_ID_PATTERN}, got '${tenantId}'`, 2);
}

/** Asks every registered cell what it holds of `tenantId`. */
export async function locate(plane: ControlPlane, tenantId: string): Promise<TenantWhereabouts> {
  const { reports } = await surveyCells(plane);
  const holders = reports.flatMap((r) => (r.tenants ?? []).filter((o) => o.tenantId === tenantId).map((ownership) => ({ cellId: r.entry.cellId, ownership })));
  return { tenantId, reports, holders, unreachable: reports.filter((r) => r.health !== "ok").map((r) => r.entry.cellId) };
}

export const describeHolders = (w: TenantWhereabouts): string =>
  [...w.holders.map((h) => `${h.cellId}: ${h.ownership.state} @${h.ownership.epoch}`), ...w.unreachable.map((c) => `${c}: unreachable`)].join(", ") || "no cell holds it";

/** The tenant's ownership on a cell that may be down: its record, or `unreachable` with why. */
export async function ownershipOn(cell: AdminClient, tenantId: string): Promise<{ reachable: true; ownership: OwnershipRecord | undefined } | { reachable: false; why: string }> {
  try {
    await cell.healthz();
    return { reachable: true, ownership: await cell.ownership(tenantId) };
  } catch (error) {
    return { reachable: false, why: error instanceof Error ? error.message : String(error) };
  }
}

/** The holder a failover promoted (active, with the replica state of its old primary), if any. */
export const promotedOwner = (w: TenantWhereabouts): Holder | undefined =>
  w.holders.find((h) => h.ownership.state === "active" && h.ownership.details?.replica?.promotedAt !== undefined);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
