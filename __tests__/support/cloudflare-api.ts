import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { closeServer } from "./http-cell";

/** A request the loopback Cloudflare API received, as the assertions need it. */
export interface RecordedCall {
  readonly method: string;
  /** Path without the `/client/v4` prefix, percent-encoding kept. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  /** For multipart bodies: part name -> text. */
  readonly parts?: Record<string, string>;
  /** For the Analytics Engine SQL endpoint: the query text. */
  readonly sql?: string;
}

/** A loopback server implementing the documented Workers KV endpoints of Cloudflare's API that the registry adapter uses. */
export interface CloudflareApi {
  /** `http://127.0.0.1:<port>/client/v4`, the SDK's `baseURL`. */
  readonly baseUrl: string;
  readonly accountId: string;
  readonly namespaceId: string;
  readonly token: string;
  /** The namespace's contents. */
  readonly kv: Map<string, string>;
  /** What the Analytics Engine SQL endpoint answers as `data` (`FORMAT JSON`). */
  sqlRows: Array<Record<string, unknown>>;
  readonly calls: RecordedCall[];
  close(): Promise<void>;
}

const envelope = (result: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ success: true, errors: [], messages: [], result, ...extra });
const failure = (code: number, message: string) => JSON.stringify({ success: false, errors: [{ code, message }], messages: [], result: null });

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Serves, for one account and namespace (keys paged by 2 so the SDK's cursor paging is exercised):
 * - `GET    /accounts/:a/storage/kv/namespaces/:n/values/:key` -> the raw value, or 404 (error 10009)
 * - `PUT    /accounts/:a/storage/kv/namespaces/:n/values/:key` -> multipart/form-data with a `value` part
 * - `DELETE /accounts/:a/storage/kv/namespaces/:n/values/:key`
 * - `GET    /accounts/:a/storage/kv/namespaces/:n/keys?prefix=&cursor=` -> `result` + `result_info.cursor`
 * - `POST   /accounts/:a/analytics_engine/sql` (query text as the body) -> `{meta, data: sqlRows, rows}`
 * Every call must carry `Authorization: Bearer <token>` (else 401, error 10000). Anything else is a 404.
 */
export async function startCloudflareApi(): Promise<CloudflareApi> {
  const accountId = "023e105f4ecef8ad9ca31a8372d0c353";
  const namespaceId = "0f2ac74b498b48028cb68387c421e279";
  const token = "test-token-0123456789";
  const kv = new Map<string, string>();
  const calls: RecordedCall[] = [];
  const base = `/client/v4/accounts/${accountId}/storage/kv/namespaces/${namespaceId}`;
  const api = { sqlRows: [] as Array<Record<string, unknown>> };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const body = await readBody(req);
      const contentType = req.headers["content-type"];
      let parts: Record<string, string> | undefined;
      if (contentType?.startsWith("multipart/form-data")) {
        const form = await new Request("http://localhost", { method: "POST", headers: { "content-type": contentType }, body }).formData();
        parts = {};
        for (const [name, value] of form.entries()) parts[name] = typeof value === "string" ? value : await value.text();
      }
      const path = url.pathname.replace(/^\/client\/v4/, "");
      const sql = path === `/accounts/${accountId}/analytics_engine/sql` ? body.toString("utf8") : undefined;
      calls.push({ method: req.method ?? "", path, query: Object.fromEntries(url.searchParams), contentType, authorization: req.headers.authorization, ...(parts ? { parts } : {}), ...(sql === undefined ? {} : { sql }) });
      const send = (status: number, text: string, type = "application/json") => {
        res.writeHead(status, { "content-type": type });
        res.end(text);
      };
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, failure(10000, "Authentication error"));
      if (sql !== undefined && req.method === "POST") return send(200, JSON.stringify({ meta: [], data: api.sqlRows, rows: api.sqlRows.length }));
      if (url.pathname === `${base}/keys` && req.method === "GET") {
        const prefix = url.searchParams.get("prefix") ?? "";
        const all = [...kv.keys()].filter((k) => k.startsWith(prefix)).sort();
        const start = Number(url.searchParams.get("cursor") ?? "0");
        const page = all.slice(start, start + 2);
        const next = start + 2 < all.length ? String(start + 2) : "";
        return send(200, envelope(page.map((name) => ({ name })), { result_info: { count: page.length, cursor: next } }));
      }
      const valuePrefix = `${base}/values/`;
      if (!url.pathname.startsWith(valuePrefix)) return send(404, failure(7003, "Could not route to this path"));
      const key = decodeURIComponent(url.pathname.slice(valuePrefix.length));
      if (req.method === "GET") {
        const value = kv.get(key);
        return value === undefined ? send(404, failure(10009, "get: 'key not found'")) : send(200, value, "application/octet-stream");
      }
      if (req.method === "PUT") {
        if (parts?.value === undefined) return send(400, failure(10001, "expected multipart/form-data with a 'value' part"));
        kv.set(key, parts.value);
        return send(200, envelope({}));
      }
      if (req.method === "DELETE") {
        kv.delete(key);
        return send(200, envelope({}));
      }
      return send(405, failure(10000, "method not allowed"));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return Object.assign(api, { baseUrl: `http://127.0.0.1:${port}/client/v4`, accountId, namespaceId, token, kv, calls, close: () => closeServer(server) });
}
