import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CellHandler, CellRequest } from "../../cells/core";
import { PROBLEM_CONTENT_TYPE } from "../../contract";

/** A cell handler served over real HTTP on loopback. */
export interface HttpCell {
  /** Base URL, e.g. `http://127.0.0.1:41234` (what a registry entry's `url` holds). */
  readonly url: string;
  readonly port: number;
  /** Every request the handler received, as it received it (headers lower-cased, exact body bytes). */
  readonly received: CellRequest[];
  close(): Promise<void>;
}

/** Where to listen. */
export interface HttpCellOptions {
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
}

/** Node's headers to the cell's shape: names lower-cased, repeated values joined as HTTP allows. */
function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(name.toLowerCase() === "cookie" ? "; " : ", ") : value;
  }
  return headers;
}

async function bodyOf(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const all = Buffer.concat(chunks);
  return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
}

/** Splits the raw request target into path and query exactly as sent (no decoding, no normalising: the signature covers them). */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf("?");
  return q === -1 ? { path: target, query: "" } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/**
 * Serves a `CellHandler` (the platform-neutral cell API) on a node:http server: the request becomes a
 * `CellRequest` with the exact body bytes, the `CellResponse` is written back as is. Used by the router
 * tests (cells the Worker in workerd calls over loopback) and reusable by the local sandbox.
 */
export async function startHttpCell(handler: CellHandler, options: HttpCellOptions = {}): Promise<HttpCell> {
  const received: CellRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        const { path, query } = splitTarget(req.url ?? "/");
        const cellRequest: CellRequest = { method: req.method ?? "GET", path, query, headers: headersOf(req), body: await bodyOf(req) };
        received.push(cellRequest);
        const reply = await handler(cellRequest);
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      } catch {
        // The core handler turns every error into a problem; this is only a last line of defence.
        if (!res.headersSent) res.writeHead(500, { "content-type": PROBLEM_CONTENT_TYPE });
        res.end(JSON.stringify({ type: "about:blank", title: "Internal error", status: 500, detail: "the test cell host failed", requestId: "" }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    received,
    close: () => closeServer(server),
  };
}

/** Closes a server, dropping its keep-alive and hanging connections first so `close` does not wait for them. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
