import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { bodyOf } from "./hosts/http-host";

/** The part of a Workers KV namespace (Miniflare's) the registry endpoint serves. */
export interface KvNamespaceLike {
  get(key: string, type: "text"): Promise<string | null>;
  put(key: string, value: string): Promise<unknown>;
  delete(key: string): Promise<unknown>;
  list(options: { prefix?: string; cursor?: string }): Promise<{ keys: Array<{ name: string }>; list_complete: boolean; cursor?: string }>;
}

/**
 * What the control routes may do to the running sandbox: take a cell down (with its store, as in a
 * region outage) and bring it back. Generic on purpose: other controls (fault injection) add routes
 * under `/sandbox/cells/{cell}/...` beside these.
 */
export interface SandboxControl {
  stopCell(cellId: string, options: { readonly store: boolean }): Promise<void>;
  startCell(cellId: string): Promise<void>;
  /** Each cell and whether its compute runs. */
  cells(): ReadonlyArray<{ readonly cellId: string; readonly running: boolean }>;
}

/** The sandbox's registry endpoint: the router's KV namespace over HTTP on loopback, for `cellctl`. */
export interface RegistryServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Bearer token every call must carry (written into the connection file). */
  readonly token: string;
  close(): Promise<void>;
}

/**
 * Serves the sandbox's Workers KV namespace (the one the router reads) so that a separate process
 * (`cellctl`) can read and write the registry:
 *
 * - `GET /kv?prefix=<p>` -> `{"keys": [...]}` (every key with the prefix);
 * - `GET /kv/<key>` -> the value as text, or 404;
 * - `PUT /kv/<key>` with the value as the body -> 204;
 * - `DELETE /kv/<key>` -> 204.
 *
 * and, with `control`, the sandbox's control routes (`cellctl sandbox ...`):
 *
 * - `GET /sandbox/cells` -> `{"cells": [{"cell_id", "running"}]}`;
 * - `POST /sandbox/cells/<cell>/stop` (body `{"store": true}` takes its store down too) -> the cell list;
 * - `POST /sandbox/cells/<cell>/start` -> the cell list.
 *
 * Loopback only, and every call needs `Authorization: Bearer <token>`.
 */
export async function startRegistryServer(kv: KvNamespaceLike, options: { port?: number; control?: () => SandboxControl | undefined } = {}): Promise<RegistryServer> {
  const token = randomBytes(24).toString("hex");
  const server: Server = createServer((req, res) => {
    void (async () => {
      const reply = (status: number, body = "", type = "text/plain") => {
        res.writeHead(status, { "content-type": type });
        res.end(body);
      };
      try {
        if (req.headers.authorization !== `Bearer ${token}`) return reply(401, "missing or wrong bearer token");
        const url = new URL(req.url ?? "/", "http://localhost");
        if (url.pathname.startsWith("/sandbox/")) {
          const control = options.control?.();
          if (!control) return reply(404, "this sandbox has no control routes");
          const cellsView = () => JSON.stringify({ cells: control.cells().map((c) => ({ cell_id: c.cellId, running: c.running })) });
          if (url.pathname === "/sandbox/cells" && req.method === "GET") return reply(200, cellsView(), "application/json");
          const action = /^\/sandbox\/cells\/([a-z][a-z0-9-]{1,20})\/(stop|start)$/.exec(url.pathname);
          if (!action || req.method !== "POST") return reply(404, "no such route; POST /sandbox/cells/{cell}/stop|start, GET /sandbox/cells");
          const [, cellId, verb] = action;
          if (!control.cells().some((c) => c.cellId === cellId)) return reply(404, `no cell '${cellId}' in this sandbox; cells: ${control.cells().map((c) => c.cellId).join(", ")}`);
          const text = Buffer.from(await bodyOf(req)).toString("utf8");
          let store = false;
          if (text.trim() !== "") {
            const body = JSON.parse(text) as { store?: unknown };
            if (typeof body !== "object" || body === null || (body.store !== undefined && typeof body.store !== "boolean")) return reply(400, 'body must be {"store": true|false}');
            store = body.store === true;
          }
          if (verb === "stop") await control.stopCell(cellId!, { store });
          else await control.startCell(cellId!);
          return reply(200, cellsView(), "application/json");
        }
        if (url.pathname === "/kv" && req.method === "GET") {
          const prefix = url.searchParams.get("prefix") ?? undefined;
          const keys: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await kv.list({ prefix, cursor });
            keys.push(...page.keys.map((k) => k.name));
            cursor = page.list_complete ? undefined : page.cursor;
          } while (cursor);
          return reply(200, JSON.stringify({ keys }), "application/json");
        }
        if (!url.pathname.startsWith("/kv/")) return reply(404, "no such route");
        const key = decodeURIComponent(url.pathname.slice("/kv/".length));
        if (req.method === "GET") {
          const value = await kv.get(key, "text");
          return value === null ? reply(404, "no such key") : reply(200, value);
        }
        if (req.method === "PUT") {
          await kv.put(key, Buffer.from(await bodyOf(req)).toString("utf8"));
          return reply(204);
        }
        if (req.method === "DELETE") {
          await kv.delete(key);
          return reply(204);
        }
        return reply(405, "method not allowed");
      } catch (error) {
        reply(500, error instanceof Error ? error.message : String(error));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
