import { createCellHandler, systemClock, type CellDeps, type RecordChange } from "../../cells/core";
import type { Cloud, SigningKey } from "../../contract";
import { InMemoryIdempotencyStore, InMemoryNonceStore, InMemoryRecordStore } from "./in-memory-stores";

/** A core cell wired to the in-memory fakes; records its change events and log lines for assertions. */
export function coreCell(opts: { cellId?: string; cloud?: Cloud; key?: SigningKey; overrides?: Partial<CellDeps> } = {}) {
  const key = opts.key ?? { keyId: "alpha-v1", secret: "test-secret-0123456789abcdef" };
  const changes: RecordChange[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const logger = { log: (entry: Record<string, unknown>) => void logs.push(entry) };
  const deps: CellDeps = {
    config: { cellId: opts.cellId ?? "alpha", cloud: opts.cloud ?? "aws" },
    records: new InMemoryRecordStore(),
    idempotency: new InMemoryIdempotencyStore(),
    nonces: new InMemoryNonceStore(),
    keys: { secretFor: async (id) => (id === key.keyId ? key.secret : undefined) },
    clock: systemClock,
    changes: { publish: async (c) => void changes.push(c) },
    logger,
    ...opts.overrides,
  };
  return { handler: createCellHandler(deps), deps, key, changes, logs };
}
