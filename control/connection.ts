import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { CELL_ID_PATTERN, KEY_ID_PATTERN, TENANT_ID_PATTERN } from "../contract";

/**
 * Where `cellctl` finds the system it operates: the router, the registry and each cell's admin key.
 * One file, read from one place:
 *
 * - the sandbox writes `.sandbox/connection.json` when it starts (git-ignored), so with `npm start`
 *   running every command works with no flags and no account;
 * - for deployed cells, `CELLCTL_CONNECTION=<file>` names a file of the same shape with
 *   `registry.kind: "cloudflare"` (the API token comes from `CLOUDFLARE_API_TOKEN`, never the file)
 *   and each cell's admin key (the cell stack's sensitive `admin-key` output).
 */
export const SANDBOX_CONNECTION_FILE = path.join(".sandbox", "connection.json");

const keySchema = z.object({ keyId: z.string().regex(KEY_ID_PATTERN), secret: z.string().min(16) }).strict();

export const connectionSchema = z
  .object({
    v: z.literal(1),
    /** `sandbox` or `cloud`: only for messages. */
    kind: z.enum(["sandbox", "cloud"]),
    router: z.object({ url: z.string().url() }).strict(),
    registry: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("sandbox"), url: z.string().url(), token: z.string().min(1) }).strict(),
      z
        .object({
          kind: z.literal("cloudflare"),
          accountId: z.string().min(1),
          namespaceId: z.string().min(1),
          /** Cloudflare API base URL; tests point it at a loopback server. @default the SDK's */
          baseUrl: z.string().url().optional(),
        })
        .strict(),
    ]),
    /** Cell id -> how to reach its admin API. `url` defaults to the cell's registry entry. */
    cells: z.record(z.string().regex(CELL_ID_PATTERN), z.object({ url: z.string().url().optional(), adminKey: keySchema }).strict()),
    /** The deployed router's Analytics Engine dataset, which `cellctl watch` reads. @default cells_edge_router_health */
    edge: z.object({ dataset: z.string().regex(/^[A-Za-z0-9_]{1,64}$/) }).strict().optional(),
    /** The sandbox's control endpoint (store faults, `cellctl sandbox ...`); only a running sandbox has one. */
    sandbox: z.object({ url: z.string().url(), token: z.string().min(1) }).strict().optional(),
    /** Ready-to-use client tokens per tenant (the sandbox's local issuer); absent when auth is off. */
    tokens: z.record(z.string().regex(TENANT_ID_PATTERN), z.string()).optional(),
  })
  .strict();

export type Connection = z.infer<typeof connectionSchema>;

/** A connection file that could not be used; the message says which file and what is wrong. */
export class ConnectionError extends Error {
  override readonly name = "ConnectionError";
}

/** Reads and checks the connection: `CELLCTL_CONNECTION`'s file, else the sandbox's. */
export function loadConnection(env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): Connection {
  const file = env.CELLCTL_CONNECTION ? path.resolve(cwd, env.CELLCTL_CONNECTION) : path.join(cwd, SANDBOX_CONNECTION_FILE);
  if (!existsSync(file)) {
    throw new ConnectionError(
      env.CELLCTL_CONNECTION
        ? `CELLCTL_CONNECTION names ${file}, which does not exist`
        : `no connection: start the sandbox with 'npm start' (it writes ${SANDBOX_CONNECTION_FILE}), or set CELLCTL_CONNECTION to a connection file for deployed cells (see README, "The control plane")`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    throw new ConnectionError(`${file} is not valid JSON`);
  }
  const parsed = connectionSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConnectionError(`${file} is not a valid connection file: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

/** Writes a connection file readable by its owner only (it holds admin keys). */
export function writeConnection(file: string, connection: Connection): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(connection, null, 2)}\n`, { mode: 0o600 });
}
