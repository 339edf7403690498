import type { Cloud } from "../contract";
import type { PlacementSource } from "./registry";
import type { MovedFollow } from "./moved-tenants";

/**
 * How a request ended, for dashboards and alerts: `proxied` (the cell answered, whatever its status),
 * `rejected` (the router refused the request: 4xx of its own, 503 by registry status),
 * `registry_error` (missing, malformed or unreadable registry data, or no key for the cell),
 * `upstream_error` (unreachable cell, an answer the router would not pass on, or a platform shedding
 * load), `timeout`, `circuit_open` (the cell's breaker answered at once), `auth_error` (the issuer's
 * keys could not be fetched), `internal` (a bug or a misconfigured setting). A refused client token
 * is `rejected`.
 */
export type Outcome = "proxied" | "rejected" | "registry_error" | "upstream_error" | "timeout" | "circuit_open" | "auth_error" | "internal";

/** One request's log line. Fields the router never learned (no tenant yet) are null, so every line has the same shape. */
export interface RequestLog {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly tenantId: string | null;
  readonly cellId: string | null;
  readonly cloud: Cloud | null;
  readonly status: number;
  readonly outcome: Outcome;
  readonly durationMs: number;
  /** Why the router answered with an error; for the operator, never sent to the client. */
  readonly error?: string;
  /** How many times the cell was called (2 when a read was retried after a connection error). */
  readonly attempts?: number;
  /** Where the tenant's placement came from: `kv`, `cache`, `stale` or `snapshot` (KV failing), `moved` (a cell's answer). */
  readonly placement?: PlacementSource;
  /** Where the cell's entry came from, likewise. */
  readonly cellEntry?: PlacementSource;
  /** A cell answered `tenant_moved`: which cell it named, at which epoch, and whether the request followed. */
  readonly moved?: MovedFollow;
  /** The verified client token's `sub`. */
  readonly subject?: string;
}

/**
 * One JSON line per request, which Workers Logs and Logpush ingest as structured fields. Only ids,
 * the path and outcomes are logged: never bodies, query strings, headers, tokens or keys.
 */
export function formatRequestLog(entry: RequestLog): string {
  return JSON.stringify({ msg: "edge.request", ...entry });
}
