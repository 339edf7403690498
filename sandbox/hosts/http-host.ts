import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PROBLEM_CONTENT_TYPE, problem } from "../../contract";
import type { Responder } from "./local-request";

/** A responder served over real HTTP on loopback; it can be stopped and started again on the same port. */
export interface HttpHost {
  /** `http://127.0.0.1:<port>`, stable across stop and start. */
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** Stops accepting requests and cuts open connections, as a crashed or unreachable cell would. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** Node's headers in the shape the cells use: names lower-cased, repeated values joined. */
export function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(name.toLowerCase() === "cookie" ? "; " : ", ") : value;
  }
  return headers;
}

export async function bodyOf(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const all = Buffer.concat(chunks);
  return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
}

/** Splits the raw request target into path and query exactly as sent: the signature covers them. */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf("?");
  return q === -1 ? { path: target, query: "" } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Serves `respond` on 127.0.0.1. The exact request bytes reach the responder (signatures cover them);
 * a responder that throws gets a 500 problem, never a stack trace.
 */
export async function startHttpHost(respond: Responder, options: { port?: number; name?: string } = {}): Promise<HttpHost> {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const { path, query } = splitTarget(req.url ?? "/");
        const reply = await respond({ method: req.method ?? "GET", path, query, headers: headersOf(req), body: await bodyOf(req) });
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      } catch {
        if (!res.headersSent) res.writeHead(500, { "content-type": PROBLEM_CONTENT_TYPE });
        res.end(JSON.stringify(problem("internal", `the local host ${options.name ?? ""} failed`.trim(), "")));
      }
    })();
  });
  const port = await listen(server, options.port ?? 0);
  let running = true;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get running() {
      return running;
    },
    stop: async () => {
      if (!running) return;
      running = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    start: async () => {
      if (running) return;
      await listen(server, port);
      running = true;
    },
  };
}
