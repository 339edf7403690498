import type { CellDeps } from "../../cells/core";
import type { OwnershipState, SigningKey } from "../../contract";
import { coreCell } from "./core-cell";
import { InMemoryTenantStore } from "./in-memory-stores";
import { aTenantId, anOwnership } from "./mothers";
import { bytes, signed, type RequestSpec } from "./signing";

/** What a core cell answered, with its body parsed (undefined when empty or not JSON). */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly json: any;
}

/**
 * A core cell on the in-memory fakes with a clock the test moves (a whole second plus 999 ms by
 * default, so rounding shows). `send` signs as the router does and `admin` as `cellctl` does, both at
 * the clock's time; `tenant` places a fresh tenant on the cell in the state asked for.
 */
export function clockedCell(opts: { startMs?: number; overrides?: Partial<CellDeps> } = {}) {
  let nowMs = opts.startMs ?? 1_780_000_000_999;
  const store = new InMemoryTenantStore();
  const cell = coreCell({ overrides: { clock: { now: () => nowMs }, store, ...opts.overrides } });
  const as =
    (key: SigningKey) =>
    async (spec: RequestSpec, tenantId: string): Promise<Reply> => {
      const s = await signed(spec, { tenantId, cellId: "alpha", key, timestamp: Math.floor(nowMs / 1000) });
      const headers = Object.fromEntries(Object.entries(s.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      const reply = await cell.handler({ method: s.method, path: s.path, query: s.query ?? "", headers, body: bytes(s.body) });
      let json: any;
      try {
        json = reply.body === "" ? undefined : JSON.parse(reply.body);
      } catch {
        json = undefined;
      }
      return { ...reply, json };
    };
  const tenant = async (state: OwnershipState = "active", epoch = 1): Promise<string> => {
    const t = aTenantId("T");
    await store.setOwnership(anOwnership(t, { state, epoch, ...(state === "moved" ? { movedTo: { cellId: "beta", epoch } } : {}) }), undefined);
    return t;
  };
  return {
    ...cell,
    store,
    send: as(cell.key),
    admin: as(cell.adminKey),
    tenant,
    nowSec: () => Math.floor(nowMs / 1000),
    advance: (ms: number) => void (nowMs += ms),
  };
}
