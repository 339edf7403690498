import type { Server } from "node:http";
import type { CellHandler, CellRequest } from "../../cells/core";
import { startHttpHost } from "../../sandbox/hosts/http-host";

/** A core cell handler served over real HTTP on loopback, recording what it received. */
export interface HttpCell {
  /** Base URL, e.g. `http://127.0.0.1:41234` (what a registry entry's `url` holds). */
  readonly url: string;
  readonly port: number;
  /** Every request the handler received, as it received it (headers lower-cased, exact body bytes). */
  readonly received: CellRequest[];
  close(): Promise<void>;
}

/**
 * Serves a `CellHandler` (the platform-neutral cell API) with the sandbox's HTTP host: the router tests'
 * cells, which the Worker in workerd calls over loopback and which verify its signatures with the
 * cells' own code.
 */
export async function startHttpCell(handler: CellHandler): Promise<HttpCell> {
  const received: CellRequest[] = [];
  const host = await startHttpHost(async (request) => {
    received.push(request);
    return handler(request);
  }, { name: "test cell" });
  return { url: host.url, port: host.port, received, close: () => host.stop() };
}

/** Closes a server, dropping its keep-alive and hanging connections first so `close` does not wait for them. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
