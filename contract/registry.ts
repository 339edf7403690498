import { CELL_ID_PATTERN, TENANT_ID_PATTERN, isCellId, isTenantId } from "./ids";
import { err, ok, type Result } from "./result";

/**
 * The registry the edge router reads from Workers KV. The edge stack writes it (from the cell stacks'
 * outputs) and the local sandbox seeds it; both build entries with `buildRegistryEntries`.
 */

export const REGISTRY_VERSION = 1;

export const CLOUDS = ["aws", "azure"] as const;
export type Cloud = (typeof CLOUDS)[number];

export const CELL_STATUSES = ["active", "draining", "down"] as const;
export type CellStatus = (typeof CELL_STATUSES)[number];

export const TENANT_STATUSES = ["active", "read_only", "migrating"] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** `cell:<cellId>` */
export interface CellEntry {
  readonly v: typeof REGISTRY_VERSION;
  readonly cellId: string;
  readonly cloud: Cloud;
  readonly region: string;
  /** Base URL of the cell's HTTP endpoint, no trailing slash. */
  readonly url: string;
  readonly status: CellStatus;
}

/** `tenant:<tenantId>` */
export interface TenantEntry {
  readonly v: typeof REGISTRY_VERSION;
  readonly tenantId: string;
  readonly cellId: string;
  readonly status: TenantStatus;
  /** Bumped on every move between cells, so caches and cells can tell a stale placement. */
  readonly epoch: number;
}

export const cellKey = (cellId: string): string => `cell:${cellId}`;
export const tenantKey = (tenantId: string): string => `tenant:${tenantId}`;

export interface UrlPolicy {
  /** Accept `http://` URLs on loopback hosts (local sandbox and tests only). */
  readonly allowLoopbackHttp: boolean;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Whether a URL's host is this machine: the one place plain `http://` may be accepted (local sandbox and tests). */
export const isLoopbackHost = (hostname: string): boolean => LOOPBACK_HOSTS.has(hostname);

/** A cell URL must be HTTPS, have no credentials, query or fragment; plain HTTP only on loopback when allowed. */
export function checkCellUrl(raw: unknown, policy: UrlPolicy): Result<string> {
  if (typeof raw !== "string") return err("url must be a string");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return err(`url is not a valid URL: '${raw}'`);
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback && policy.allowLoopbackHttp)) {
    return err(`url must use https${policy.allowLoopbackHttp ? " (or http on loopback)" : ""}, got '${raw}'`);
  }
  if (url.username || url.password) return err("url must not carry credentials");
  if (url.search || url.hash) return err("url must not have a query or fragment");
  return ok(raw.replace(/\/+$/, ""));
}

type Fields = Record<string, unknown>;

function parseObject(text: string | null | undefined, what: string): Result<Fields> {
  if (text === null || text === undefined) return err(`${what} is missing`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return err(`${what} is not valid JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return err(`${what} is not a JSON object`);
  return ok(value as Fields);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): Result<T> {
  // `includes` compares with ===, so anything but one of the allowed strings is refused.
  return (allowed as readonly unknown[]).includes(value)
    ? ok(value as T)
    : err(`${field} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
}

/** Parses a `cell:<id>` value. A malformed entry is an error value, never an exception. */
export function parseCellEntry(text: string | null | undefined, policy: UrlPolicy, expectedCellId?: string): Result<CellEntry> {
  const obj = parseObject(text, "cell entry");
  if (!obj.ok) return obj;
  const f = obj.value;
  if (f.v !== REGISTRY_VERSION) return err(`cell entry v must be ${REGISTRY_VERSION}, got ${JSON.stringify(f.v)}`);
  if (!isCellId(f.cellId)) return err(`cell entry cellId is invalid: ${JSON.stringify(f.cellId)}`);
  if (expectedCellId !== undefined && f.cellId !== expectedCellId) {
    return err(`cell entry under key '${cellKey(expectedCellId)}' names cell '${f.cellId}'`);
  }
  const cloud = oneOf(f.cloud, CLOUDS, "cell entry cloud");
  if (!cloud.ok) return cloud;
  if (typeof f.region !== "string" || f.region.length === 0) return err("cell entry region must be a non-empty string");
  const url = checkCellUrl(f.url, policy);
  if (!url.ok) return err(`cell entry ${url.error}`);
  const status = oneOf(f.status, CELL_STATUSES, "cell entry status");
  if (!status.ok) return status;
  return ok({ v: REGISTRY_VERSION, cellId: f.cellId, cloud: cloud.value, region: f.region, url: url.value, status: status.value });
}

/** A non-negative safe integer: `Number.isSafeInteger` is false for anything that is not a number. */
const isEpoch = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** Parses a `tenant:<id>` value. A malformed entry is an error value, never an exception. */
export function parseTenantEntry(text: string | null | undefined, expectedTenantId?: string): Result<TenantEntry> {
  const obj = parseObject(text, "tenant entry");
  if (!obj.ok) return obj;
  const f = obj.value;
  if (f.v !== REGISTRY_VERSION) return err(`tenant entry v must be ${REGISTRY_VERSION}, got ${JSON.stringify(f.v)}`);
  if (!isTenantId(f.tenantId)) return err(`tenant entry tenantId is invalid: ${JSON.stringify(f.tenantId)}`);
  if (expectedTenantId !== undefined && f.tenantId !== expectedTenantId) {
    return err(`tenant entry under key '${tenantKey(expectedTenantId)}' names tenant '${f.tenantId}'`);
  }
  if (!isCellId(f.cellId)) return err(`tenant entry cellId is invalid: ${JSON.stringify(f.cellId)}`);
  const status = oneOf(f.status, TENANT_STATUSES, "tenant entry status");
  if (!status.ok) return status;
  if (!isEpoch(f.epoch)) {
    return err(`tenant entry epoch must be a non-negative integer, got ${JSON.stringify(f.epoch)}`);
  }
  return ok({ v: REGISTRY_VERSION, tenantId: f.tenantId, cellId: f.cellId, status: status.value, epoch: f.epoch });
}

/** What the registry builder needs to know about a cell. Values may be Terraform tokens at synth time. */
export interface CellPlacement {
  readonly cellId: string;
  readonly cloud: Cloud;
  readonly region: string;
  readonly url: string;
  readonly status?: CellStatus;
}

/** A tenant's initial placement. */
export interface TenantPlacement {
  readonly tenantId: string;
  readonly cellId: string;
  readonly status?: TenantStatus;
  readonly epoch?: number;
}

export interface RegistryRecord {
  readonly key: string;
  readonly value: string;
}

/**
 * Turns cells and tenants into KV records. The one builder used by the edge stack (where `url` is a
 * cross-stack token) and by the local sandbox (where it is a loopback URL), so both write the same shape.
 * Rejects a tenant placed on a cell that is not in the list, and duplicate ids.
 */
export function buildRegistryEntries(cells: readonly CellPlacement[], tenants: readonly TenantPlacement[]): RegistryRecord[] {
  const cellIds = new Set<string>();
  for (const cell of cells) {
    if (!isCellId(cell.cellId)) throw new Error(`cellId must match ${CELL_ID_PATTERN}, got '${cell.cellId}'`);
    if (cellIds.has(cell.cellId)) throw new Error(`duplicate cellId '${cell.cellId}'`);
    cellIds.add(cell.cellId);
  }
  const tenantIds = new Set<string>();
  for (const tenant of tenants) {
    if (!isTenantId(tenant.tenantId)) throw new Error(`tenantId must match ${TENANT_ID_PATTERN}, got '${tenant.tenantId}'`);
    if (tenantIds.has(tenant.tenantId)) throw new Error(`duplicate tenantId '${tenant.tenantId}'`);
    if (!cellIds.has(tenant.cellId)) {
      throw new Error(`tenant '${tenant.tenantId}' is placed on cell '${tenant.cellId}', which is not one of: ${[...cellIds].join(", ")}`);
    }
    tenantIds.add(tenant.tenantId);
  }
  const cellRecords = cells.map((c): RegistryRecord => {
    const entry: CellEntry = { v: REGISTRY_VERSION, cellId: c.cellId, cloud: c.cloud, region: c.region, url: c.url, status: c.status ?? "active" };
    return { key: cellKey(c.cellId), value: JSON.stringify(entry) };
  });
  const tenantRecords = tenants.map((t): RegistryRecord => {
    const entry: TenantEntry = { v: REGISTRY_VERSION, tenantId: t.tenantId, cellId: t.cellId, status: t.status ?? "active", epoch: t.epoch ?? 1 };
    return { key: tenantKey(t.tenantId), value: JSON.stringify(entry) };
  });
  return [...cellRecords, ...tenantRecords];
}
