import { Headers } from "../../contract";

/** One client exchange during a move, as the assertions need it. */
export interface LoadCall {
  readonly tenantId: string;
  readonly op: "write" | "read";
  readonly router: string;
  readonly status: number;
  readonly retryAfter: string | null;
  readonly problem?: string;
  readonly at: number;
  /** The cell that answered (`X-Cell-Id`), when one did. */
  readonly cell?: string | null;
}

/** One acknowledged write, as the client saw it. */
export interface AckedWrite {
  readonly recordId: string;
  readonly version: number;
  readonly data: unknown;
  /** When the client got the answer. */
  readonly at: number;
  readonly cell: string | null;
}

/** The last acknowledged state of each record a writer wrote. */
export type Acked = Map<string, { version: number; data: unknown }>;

export interface LoadClient {
  readonly routers: Readonly<Record<string, string>>;
  token(tenantId: string): string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The least time between the starts of two exchanges of one loop: about 20 a second per loop, enough
 * to see every step of a move or a failover. An unpaced loop only spins faster: in the sandbox the
 * clients, the cells and their emulators share this machine's two cores, and a test's extra requests
 * would take CPU from the system under test (and from the test files running beside it) while
 * asserting nothing more.
 */
const PACE_MS = 50;

/** Waits out the rest of one loop round that started at `startedAt`. */
const pace = (startedAt: number) => sleep(Math.max(0, startedAt + PACE_MS - Date.now()));

/**
 * A client that creates and then keeps replacing its own records (so it never conflicts with another
 * writer), with an idempotency key per intended write; on a 503 it waits as `Retry-After` says
 * (capped) and retries with the same key. Every exchange is recorded.
 */
export async function writerLoop(
  client: LoadClient,
  router: string,
  tenantId: string,
  prefix: string,
  until: () => boolean,
  calls: LoadCall[],
  acked: Acked,
  log?: AckedWrite[],
): Promise<void> {
  let n = 0;
  const versions = new Map<string, number>();
  while (!until()) {
    const startedAt = Date.now();
    const recordId = `${prefix}-${n % 5}`;
    const expected = versions.get(recordId);
    const body = { data: { writer: prefix, n }, ...(expected === undefined ? {} : { expected_version: expected }) };
    const key = `${prefix}-${n}`;
    for (let attempt = 0; attempt < 50; attempt++) {
      const response = await fetch(`${client.routers[router]}/api/tenants/${tenantId}/records/${recordId}`, {
        method: "PUT",
        headers: { "content-type": "application/json", [Headers.idempotencyKey]: key, authorization: `Bearer ${client.token(tenantId)}` },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as { version?: number; type?: string };
      const at = Date.now();
      const cell = response.headers.get(Headers.cellId);
      calls.push({ tenantId, op: "write", router, status: response.status, retryAfter: response.headers.get(Headers.retryAfter), problem: json.type?.split(":").pop(), at, cell });
      if (response.status === 200 || response.status === 201) {
        versions.set(recordId, json.version!);
        acked.set(recordId, { version: json.version!, data: body.data });
        log?.push({ recordId, version: json.version!, data: body.data, at, cell });
        break;
      }
      if (response.status !== 503) break;
      await sleep(Math.min(200, Number(response.headers.get(Headers.retryAfter) ?? "1") * 1000));
    }
    n++;
    await pace(startedAt);
  }
}

/** A client reading records it knows exist (the ones acknowledged so far). */
export async function readerLoop(client: LoadClient, router: string, tenantId: string, until: () => boolean, calls: LoadCall[], acked: Acked): Promise<void> {
  while (!until()) {
    const startedAt = Date.now();
    const ids = [...acked.keys()];
    if (ids.length === 0) {
      await sleep(10);
      continue;
    }
    const recordId = ids[Math.floor(Math.random() * ids.length)]!;
    const response = await fetch(`${client.routers[router]}/api/tenants/${tenantId}/records/${recordId}`, { headers: { authorization: `Bearer ${client.token(tenantId)}` } });
    const json = (await response.json()) as { type?: string };
    calls.push({ tenantId, op: "read", router, status: response.status, retryAfter: response.headers.get(Headers.retryAfter), problem: json.type?.split(":").pop(), at: Date.now(), cell: response.headers.get(Headers.cellId) });
    await pace(startedAt);
  }
}
