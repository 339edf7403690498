import { createCellHandler, staticKeySource, systemClock, type CellDeps } from "../../cells/core";
import type { ChangeEvent, Cloud, SigningKey } from "../../contract";
import { InMemoryNonceStore, InMemoryTenantStore } from "./in-memory-stores";
import { anOwnership } from "./mothers";

/** A core cell wired to the in-memory fakes; records its change events and log lines for assertions. */
export function coreCell(opts: { cellId?: string; cloud?: Cloud; key?: SigningKey; adminKey?: SigningKey; activeTenants?: "all"; overrides?: Partial<CellDeps> } = {}) {
  const cellId = opts.cellId ?? "alpha";
  const key = opts.key ?? { keyId: `${cellId}-v1`, secret: "test-secret-0123456789abcdef" };
  const adminKey = opts.adminKey ?? { keyId: `${cellId}-admin-v1`, secret: "admin-secret-0123456789abcdef" };
  const changes: ChangeEvent[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const logger = { log: (entry: Record<string, unknown>) => void logs.push(entry) };
  const store = new InMemoryTenantStore({ activeTenants: opts.activeTenants });
  const deps: CellDeps = {
    config: { cellId, cloud: opts.cloud ?? "aws", edgeKeyId: key.keyId, adminKeyId: adminKey.keyId },
    store,
    nonces: new InMemoryNonceStore(),
    keys: staticKeySource({ [key.keyId]: key.secret, [adminKey.keyId]: adminKey.secret }),
    clock: systemClock,
    changes: { publish: async (c) => void changes.push(c) },
    logger,
    ...opts.overrides,
  };
  /** Makes `tenantId` active on this cell, as the sandbox or `cellctl place` would. */
  const activate = (tenantId: string) => deps.store.setOwnership(anOwnership(tenantId), undefined);
  return { handler: createCellHandler(deps), deps, store, key, adminKey, changes, logs, activate };
}
