import { deliverToLake, lakeCellPrefix, parseChangeEvent, planLakeFiles, type LandingZone, type OutboxEntry } from "../cells/core";
import { CHANGE_EVENT_VERSION, changeEventId, type ChangeEvent } from "../contract";

/** The lake consumer's core: layout, file names, refusals and the at-least-once contract with the landing zone. */

const anEvent = (overrides: Partial<ChangeEvent> = {}): ChangeEvent => {
  const tenant_id = overrides.tenant_id ?? "T-1";
  const record_id = overrides.record_id ?? "rec-1";
  const version = overrides.version ?? 1;
  return {
    v: CHANGE_EVENT_VERSION,
    id: changeEventId(tenant_id, record_id, version),
    tenant_id,
    record_id,
    version,
    kind: "created",
    data: { n: version },
    committed_at: "2026-11-20T10:15:00.123Z",
    cell_id: "alpha",
    cloud: "aws",
    ...overrides,
  };
};
const entry = (event: Partial<ChangeEvent> | unknown, partitionTenantId?: string): OutboxEntry => {
  const e = typeof event === "object" && event !== null && "v" in event ? event : anEvent(event as Partial<ChangeEvent>);
  return { partitionTenantId: partitionTenantId ?? (e as ChangeEvent).tenant_id, event: e };
};
const alpha = { cloud: "aws", cellId: "alpha" } as const;

/** A landing zone in memory that can be told to fail. */
function memoryZone() {
  const objects = new Map<string, string>();
  const puts: string[] = [];
  let failOn: ((key: string) => boolean) | undefined;
  const zone: LandingZone = {
    put: async (key, body) => {
      puts.push(key);
      if (failOn?.(key)) throw new Error(`injected failure writing ${key}`);
      objects.set(key, body);
    },
  };
  return { zone, objects, puts, failWhen: (f: ((key: string) => boolean) | undefined) => (failOn = f) };
}

const linesOf = (body: string) => body.trimEnd().split("\n").map((l) => JSON.parse(l) as ChangeEvent);

describe("lake files", () => {
  test("are NDJSON under cloud=/cell=/dt= (UTC day of the commit), named by first commit time and a digest of their ids", async () => {
    const { files, rejected } = await planLakeFiles([entry({ version: 1 }), entry({ record_id: "rec-2", committed_at: "2026-11-20T10:15:01.000Z" })], alpha);
    expect(rejected).toEqual([]);
    expect(files.map((f) => f.key)).toEqual([expect.stringMatching(/^cloud=aws\/cell=alpha\/dt=2026-11-20\/20261120T101500123Z-[0-9a-f]{16}\.jsonl$/)]);
    expect(files[0]!.body.endsWith("\n")).toBe(true);
    expect(linesOf(files[0]!.body).map((e) => e.id)).toEqual(["T-1/rec-1/1", "T-1/rec-2/1"]);
  });

  test("a batch across midnight becomes one file per day", async () => {
    const { files } = await planLakeFiles([entry({ committed_at: "2026-11-20T23:59:59.999Z" }), entry({ record_id: "b", committed_at: "2026-11-21T00:00:00.000Z" })], alpha);
    expect(files.map((f) => f.key.split("/")[2])).toEqual(["dt=2026-11-20", "dt=2026-11-21"]);
  });

  test("the same events give the same name and bytes, in any order and with any key order (a redelivery overwrites)", async () => {
    const a = anEvent({ version: 1 });
    const b = anEvent({ record_id: "rec-2", committed_at: "2026-11-20T10:15:02.000Z" });
    const shuffled = Object.fromEntries(Object.entries(b).reverse());
    const first = await planLakeFiles([entry(a), entry(b)], alpha);
    const second = await planLakeFiles([entry(shuffled), entry(a), entry(a)], alpha);
    expect(second.files).toEqual(first.files);
    expect(linesOf(second.files[0]!.body)).toHaveLength(2);
  });

  test("another cut of the same changes gets another name: readers deduplicate by id", async () => {
    const events = [anEvent({ version: 1 }), anEvent({ version: 2, kind: "replaced" })];
    const whole = await planLakeFiles(events.map((e) => entry(e)), alpha);
    const part = await planLakeFiles([entry(events[1])], alpha);
    expect(part.files[0]!.key).not.toBe(whole.files[0]!.key);
  });

  test("lines keep the contract's fields in its order and drop anything else", async () => {
    const { files } = await planLakeFiles([entry({ ...anEvent(), extra: "x", _rid: "abc" } as unknown as ChangeEvent)], alpha);
    expect(Object.keys(JSON.parse(files[0]!.body))).toEqual(["v", "id", "tenant_id", "record_id", "version", "kind", "data", "committed_at", "cell_id", "cloud"]);
  });

  test("the cell prefix is what a consumer's write permission is scoped to", () => {
    expect(lakeCellPrefix({ cloud: "azure", cellId: "beta" })).toBe("cloud=azure/cell=beta/");
  });
});

describe("refused entries", () => {
  test("an event stored in another tenant's partition lands nowhere", async () => {
    const { files, rejected } = await planLakeFiles([entry(anEvent({ tenant_id: "T-2" }), "T-1"), entry({ tenant_id: "T-1" })], alpha);
    expect(files.flatMap((f) => linesOf(f.body).map((e) => e.tenant_id))).toEqual(["T-1"]);
    expect(rejected).toEqual([{ reason: expect.stringMatching(/names tenant 'T-2' but was stored in the partition of tenant 'T-1'/), partitionTenantId: "T-1", id: "T-2/rec-1/1" }]);
  });

  test("an event of another cell or cloud is refused: a cell's outbox only holds its own commits", async () => {
    const { files, rejected } = await planLakeFiles([entry({ cell_id: "gamma" }), entry({ cloud: "azure" })], alpha);
    expect(files).toEqual([]);
    expect(rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/cell 'gamma'/), expect.stringMatching(/committed on azure/)]);
  });

  test.each([
    ["not an object", "text"],
    ["another schema version", { ...anEvent(), v: 2 }],
    ["an id that is not (tenant, record, version)", { ...anEvent(), id: "T-1/rec-1/9" }],
    ["a delete with data", { ...anEvent(), kind: "deleted" }],
    ["a create without data", { ...anEvent(), data: null }],
    ["an unknown kind", { ...anEvent(), kind: "patched" }],
    ["a local commit time", { ...anEvent(), committed_at: "2026-11-20 10:15:00" }],
    ["a version of 0", { ...anEvent(), version: 0, id: "T-1/rec-1/0" }],
  ])("%s is refused with a reason, and the rest of the batch lands", async (_case, bad) => {
    const zone = memoryZone();
    const delivery = await deliverToLake([{ partitionTenantId: "T-1", event: bad }, entry({ record_id: "ok" })], zone.zone, alpha);
    expect(delivery.rejected).toEqual([expect.objectContaining({ reason: expect.any(String), partitionTenantId: "T-1" })]);
    expect(delivery.delivered).toBe(1);
  });

  test("parseChangeEvent accepts a delete with null data", () => {
    expect(parseChangeEvent({ ...anEvent({ version: 2 }), kind: "deleted", data: null })).toEqual({ ok: true, value: expect.objectContaining({ kind: "deleted", data: null }) });
  });
});

describe("delivery", () => {
  test("puts every file and reports what it wrote", async () => {
    const zone = memoryZone();
    const delivery = await deliverToLake([entry({}), entry({ record_id: "b", committed_at: "2026-11-21T00:00:00.000Z" })], zone.zone, alpha);
    expect(delivery.delivered).toBe(2);
    expect([...zone.objects.keys()]).toEqual(delivery.files.map((f) => f.key));
  });

  test("a failed put throws, and delivering the batch again rewrites the same files: no file holds a change twice", async () => {
    const zone = memoryZone();
    const batch = [entry({}), entry({ record_id: "b", committed_at: "2026-11-21T00:00:00.000Z" })];
    zone.failWhen((key) => key.includes("dt=2026-11-21"));
    await expect(deliverToLake(batch, zone.zone, alpha)).rejects.toThrow(/injected failure/);
    expect(zone.objects.size).toBe(1);
    zone.failWhen(undefined);
    await deliverToLake(batch, zone.zone, alpha);
    expect(zone.objects.size).toBe(2);
    expect([...zone.objects.values()].flatMap((b) => linesOf(b).map((e) => e.id)).sort()).toEqual(["T-1/b/1", "T-1/rec-1/1"]);
  });

  test("an empty batch writes nothing", async () => {
    const zone = memoryZone();
    expect((await deliverToLake([], zone.zone, alpha)).delivered).toBe(0);
    expect(zone.puts).toEqual([]);
  });
});
