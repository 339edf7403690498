import {
  Headers,
  PATHS,
  PROBLEM_CONTENT_TYPE,
  parseCellHealthReport,
  parseJsonOrUndefined,
  parseOwnershipView,
  pathOf,
  problemCode,
  signatureHeaders,
  type CellHealthReport,
  type ChangeEvent,
  type DigestView,
  type ExportItem,
  type ExportPage,
  type ImportResultView,
  type MovedTo,
  type Ownership,
  type OwnershipDetails,
  type OwnershipState,
  type ProblemCode,
  type ReplicaRequest,
  type SigningKey,
} from "../contract";

/** One item's share of a tenant's digest, as the admin API lists it. */
export interface ItemHashView {
  readonly record_id: string;
  readonly version: number;
  readonly hash: string;
}

/** An ownership record as an admin answer shows it: link keys stay in the cells, standby and replica progress come as `details`. */
export type OwnershipRecord = Ownership & { readonly details?: OwnershipDetails };

/** Budget of calls that scan a whole tenant on the cell (digests), ms. */
const LONG_CALL_MS = 120_000;

/** The tenant an admin request names when it concerns the whole cell (the cell's `CELL_WIDE_TENANT`). */
const CELL_WIDE = "*";

/** How long a repeatable admin call waits before each retry after a `store_unavailable` answer. */
const STORE_RETRY_DELAYS_MS = [250, 500, 1_000] as const;

/** A cell's admin API said no (a problem+json answer), or could not be reached. */
export class AdminCallError extends Error {
  override readonly name = "AdminCallError";
  constructor(
    message: string,
    /** HTTP status; 0 when the cell could not be reached. */
    readonly status: number,
    /** The problem's code, when the cell answered with one of ours. */
    readonly code?: ProblemCode,
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** How to reach one cell's admin API. */
export interface AdminTarget {
  readonly cellId: string;
  /** The cell's base URL (its registry entry's `url`). */
  readonly url: string;
  /** The cell's admin key (`<cellId>-admin-v<n>`). */
  readonly key: SigningKey;
}

export interface AdminClientOptions {
  /** Per-call budget, ms. @default 15000 */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** Waits before a retry. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What `PUT .../ownership` asks for. */
export interface OwnershipRequest {
  readonly epoch: number;
  readonly state: OwnershipState;
  readonly movedTo?: MovedTo;
  /** The operation (a move's id) making the change: repeating it is a no-op, another controller's is refused. */
  readonly operation?: string;
  /** The (epoch, state) read before, or null for a tenant new to the cell. */
  readonly expected: { readonly epoch: number; readonly state: OwnershipState } | null;
}

export type ExportFields = "full" | "versions";

/**
 * A client of one cell's admin API: every call signed with the cell's admin key, exactly as the
 * router signs data requests with the edge key. Used by `cellctl` and by the sandbox to seed ownership.
 */
export class AdminClient {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    readonly target: AdminTarget,
    options: AdminClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async tenants(): Promise<OwnershipRecord[]> {
    const body = await this.call<{ tenants: unknown[] }>("GET", PATHS.adminTenants, CELL_WIDE);
    return body.tenants.map((t) => parsed(parseOwnershipView(t)));
  }

  /** The tenant's ownership on this cell, or undefined when the cell never held it. */
  async ownership(tenantId: string): Promise<OwnershipRecord | undefined> {
    try {
      return parsed(parseOwnershipView(await this.call("GET", pathOf(PATHS.adminOwnership, { tenantId }), tenantId)));
    } catch (error) {
      if (error instanceof AdminCallError && error.code === "unknown_tenant") return undefined;
      throw error;
    }
  }

  /** On the tenant's primary: links it to a standby (the link's key minted by the caller). */
  async setStandby(tenantId: string, link: { cellId: string; url: string; keyId: string; secret: string }, expectedEpoch: number): Promise<OwnershipRecord> {
    const body = { cell_id: link.cellId, url: link.url, key_id: link.keyId, secret: link.secret, expected: { epoch: expectedEpoch } };
    return parsed(parseOwnershipView(await this.call("PUT", pathOf(PATHS.adminStandby, { tenantId }), tenantId, body)));
  }

  /** On the tenant's primary: drops its standby link (and with it the write lease). */
  async dropStandby(tenantId: string): Promise<OwnershipRecord> {
    return parsed(parseOwnershipView(await this.call("DELETE", pathOf(PATHS.adminStandby, { tenantId }), tenantId)));
  }

  /** On the standby cell: become the tenant's standby of `primary` at `epoch`; with `seededFrom`, mark the seed done. */
  async becomeStandby(tenantId: string, request: ReplicaRequest): Promise<OwnershipRecord> {
    const body = {
      epoch: request.epoch,
      primary: { cell_id: request.primary.cellId, epoch: request.primary.epoch },
      key_id: request.keyId,
      secret: request.secret,
      ...(request.operation ? { operation: request.operation } : {}),
      expected: request.expected,
      ...(request.seededFrom ? { seeded_from: request.seededFrom } : {}),
    };
    return parsed(parseOwnershipView(await this.call("PUT", pathOf(PATHS.adminReplica, { tenantId }), tenantId, body)));
  }

  /** On the tenant's owner: writes one record as a new version if it is still at `expectedVersion` (0: no live record). */
  reconcileWrite(tenantId: string, recordId: string, expectedVersion: number, change: { data: unknown } | { deleted: true }): Promise<ExportItem> {
    return this.call("POST", pathOf(PATHS.adminReconcile, { tenantId }), tenantId, { record_id: recordId, expected_version: expectedVersion, ...change });
  }

  async setOwnership(tenantId: string, request: OwnershipRequest): Promise<OwnershipRecord> {
    const body = {
      epoch: request.epoch,
      state: request.state,
      moved_to: request.movedTo ? { cell_id: request.movedTo.cellId, epoch: request.movedTo.epoch } : null,
      ...(request.operation ? { operation: request.operation } : {}),
      expected: request.expected,
    };
    return parsed(parseOwnershipView(await this.call("PUT", pathOf(PATHS.adminOwnership, { tenantId }), tenantId, body)));
  }

  exportPage(tenantId: string, options: { cursor?: string; fields?: ExportFields; limit?: number } = {}): Promise<ExportPage> {
    const query = new URLSearchParams();
    if (options.cursor) query.set("cursor", options.cursor);
    if (options.fields) query.set("fields", options.fields);
    if (options.limit) query.set("limit", String(options.limit));
    return this.callRetrying("GET", pathOf(PATHS.adminExport, { tenantId }), tenantId, undefined, query.toString());
  }

  /** The named records (or tombstones), at most 50 ids per call; ids the cell has nothing under are left out. */
  async exportItems(tenantId: string, recordIds: readonly string[]): Promise<ExportItem[]> {
    const page = await this.callRetrying<ExportPage>("GET", pathOf(PATHS.adminExport, { tenantId }), tenantId, undefined, `ids=${recordIds.map(encodeURIComponent).join(",")}`);
    return page.items;
  }

  importPage(tenantId: string, items: readonly ExportItem[]): Promise<ImportResultView> {
    // Safe to send again: an import keeps each item's version, so a page that landed lands the same.
    return this.callRetrying("POST", pathOf(PATHS.adminImport, { tenantId }), tenantId, { items });
  }

  /** The tenant's digest: a whole scan of its items on the cell, so a long budget. */
  digest(tenantId: string): Promise<DigestView> {
    return this.call("GET", pathOf(PATHS.adminDigest, { tenantId }), tenantId, undefined, "", LONG_CALL_MS);
  }

  /** A page of each item's share of the digest, in record id order. */
  itemHashPage(tenantId: string, cursor?: string): Promise<{ items: ItemHashView[]; next_cursor: string | null }> {
    return this.call("GET", pathOf(PATHS.adminDigest, { tenantId }), tenantId, undefined, `items=1${cursor ? `&cursor=${cursor}` : ""}`, LONG_CALL_MS);
  }

  /** The named items' shares of the digest, at most 50 ids per call. */
  async itemHashesOf(tenantId: string, recordIds: readonly string[]): Promise<ItemHashView[]> {
    const page = await this.call<{ items: ItemHashView[] }>("GET", pathOf(PATHS.adminDigest, { tenantId }), tenantId, undefined, `ids=${recordIds.map(encodeURIComponent).join(",")}`);
    return page.items;
  }

  /** A page of the tenant's change stream from `since` (inclusive), oldest first. */
  async changes(tenantId: string, options: { since?: string; limit?: number } = {}): Promise<ChangeEvent[]> {
    const query = new URLSearchParams();
    if (options.since) query.set("since", options.since);
    if (options.limit) query.set("limit", String(options.limit));
    const body = await this.call<{ changes: ChangeEvent[] }>("GET", pathOf(PATHS.adminChanges, { tenantId }), tenantId, undefined, query.toString());
    return body.changes;
  }

  purge(tenantId: string, limit?: number): Promise<{ deleted: number; more: boolean }> {
    return this.call("POST", pathOf(PATHS.adminPurge, { tenantId }), tenantId, undefined, limit === undefined ? "" : `limit=${limit}`);
  }

  /**
   * The cell's deep health (`GET /admin/health`): a timed probe of its store and its recent tenant
   * requests over the last `windowSeconds` (1 to 60), within `timeoutMs`.
   */
  async health(windowSeconds?: number, timeoutMs = this.timeoutMs): Promise<CellHealthReport> {
    const body = await this.call("GET", PATHS.adminHealth, CELL_WIDE, undefined, windowSeconds === undefined ? "" : `window=${windowSeconds}`, timeoutMs);
    const report = parseCellHealthReport(body);
    if (!report.ok) throw new AdminCallError(`cell '${this.target.cellId}' answered an invalid health report: ${report.error}`, 502);
    return report.value;
  }

  /** The cell's shallow health (`GET /healthz`, unsigned). */
  async healthz(): Promise<{ status: string; cell_id: string; cloud: string }> {
    const response = await this.send("GET", PATHS.health, "", {}, undefined);
    if (response.status !== 200) throw new AdminCallError(`cell '${this.target.cellId}' /healthz answered ${response.status}`, response.status);
    return (await response.json()) as { status: string; cell_id: string; cloud: string };
  }

  /**
   * A call that is safe to repeat (an export page, an import page), repeated when the cell answers
   * that its store did not (503 `store_unavailable`: a busy or briefly failing store), after 0.25, 0.5
   * and 1 s. A move's bulk copy then rides out a store's hiccup instead of stopping at a step for
   * `--resume`. Any other answer, and a cell that cannot be reached, fail at once.
   */
  private async callRetrying<T>(method: string, path: string, tenantId: string, body?: unknown, query = ""): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.call<T>(method, path, tenantId, body, query);
      } catch (error) {
        const busy = error instanceof AdminCallError && error.status === 503 && error.code === "store_unavailable";
        if (!busy || attempt >= STORE_RETRY_DELAYS_MS.length) throw error;
        await this.sleep(STORE_RETRY_DELAYS_MS[attempt]!);
      }
    }
  }

  private async call<T>(method: string, path: string, tenantId: string, body?: unknown, query = "", timeoutMs = this.timeoutMs): Promise<T> {
    const bytes = body === undefined ? new Uint8Array() : new TextEncoder().encode(JSON.stringify(body));
    const signed = await signatureHeaders(this.target.key, { method, path, query, cellId: this.target.cellId, tenantId, body: bytes });
    const response = await this.send(method, path, query, { ...signed, ...(body === undefined ? {} : { [Headers.contentType]: "application/json" }) }, body === undefined ? undefined : bytes, timeoutMs);
    const text = await response.text();
    const json = parseJsonOrUndefined(text);
    if (response.status >= 400 || json === undefined) {
      const problem = (json ?? {}) as Record<string, unknown>;
      const code = problemCode(problem);
      const detail = typeof problem.detail === "string" ? problem.detail : `status ${response.status}${(response.headers.get(Headers.contentType) ?? "").includes(PROBLEM_CONTENT_TYPE) ? "" : " without a problem body"}`;
      throw new AdminCallError(`cell '${this.target.cellId}' refused ${method} ${path}: ${detail}`, response.status, code, problem);
    }
    return json as T;
  }

  private async send(method: string, path: string, query: string, headers: Record<string, string>, body: Uint8Array | undefined, timeoutMs = this.timeoutMs): Promise<Response> {
    const url = `${this.target.url}${path}${query ? `?${query}` : ""}`;
    try {
      return await this.fetchImpl(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const reason = error instanceof Error && error.name === "TimeoutError" ? `did not answer within ${timeoutMs} ms` : `could not be reached (${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)})`;
      throw new AdminCallError(`cell '${this.target.cellId}' at ${this.target.url} ${reason}`, 0);
    }
  }
}

function parsed<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new AdminCallError(`a cell answered with an invalid ownership record: ${result.error}`, 502);
  return result.value;
}
