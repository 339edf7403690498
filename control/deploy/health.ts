import { PATHS } from "../../contract";
import type { CellTarget } from "./plan";

/**
 * A cell's shallow health through its public URL: `GET <endpoint-url>/healthz` must answer 200 with
 * `{"status":"ok","cell_id":<the cell>,"cloud":<its cloud>}`. Checking the id and cloud catches a URL
 * output that points at another cell.
 */

export type HealthResult = { readonly healthy: true } | { readonly healthy: false; readonly detail: string };

/** One probe, bounded by `timeoutMs`; never throws. */
export async function probeHealth(cell: Pick<CellTarget, "cellId" | "cloud">, endpointUrl: string, timeoutMs = 5_000): Promise<HealthResult> {
  const url = `${endpointUrl.replace(/\/+$/, "")}${PATHS.health}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
  } catch (error) {
    // Read by shape, not instanceof: fetch's errors may come from another realm (undici, test VMs).
    const e = (error ?? {}) as { name?: string; message?: string; cause?: { message?: string } };
    const reason = e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e.cause?.message ?? e.message ?? String(error));
    return { healthy: false, detail: `GET ${url} failed: ${reason}` };
  }
  const text = await response.text().catch(() => "");
  if (response.status !== 200) return { healthy: false, detail: `GET ${url} answered ${response.status}` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { healthy: false, detail: `GET ${url} answered 200 but not JSON` };
  }
  const { status, cell_id: cellId, cloud } = (body ?? {}) as Record<string, unknown>;
  if (status !== "ok") return { healthy: false, detail: `GET ${url} answered status ${JSON.stringify(status)}, not "ok"` };
  if (cellId !== cell.cellId || cloud !== cell.cloud) {
    return { healthy: false, detail: `GET ${url} answered for cell ${JSON.stringify(cellId)} on ${JSON.stringify(cloud)}, expected '${cell.cellId}' on '${cell.cloud}'` };
  }
  return { healthy: true };
}
