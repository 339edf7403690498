import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * The faults a `FaultProxy` injects between a cell and its store. Everything is off by default: the
 * proxy is a plain TCP pipe (TLS passes through untouched, so it works in front of the HTTPS Cosmos
 * DB emulator as well as the HTTP DynamoDB Local).
 */
export interface Faults {
  /** Refuse new connections and cut open ones: the store is unreachable. */
  readonly refuse?: boolean;
  /** Hold everything: connections open, nothing is forwarded in either direction, like a frozen store. */
  readonly freeze?: boolean;
  /** Delay every chunk towards the store by this many milliseconds: a slow store. */
  readonly delayMs?: number;
  /**
   * Probability (0 to 1) that an answer is lost: the request reaches the store and is applied, then the
   * connection is cut before the answer gets back. The hardest fault for exactly-once writes.
   */
  readonly dropAnswers?: number;
  /**
   * Probability (0 to 1) that a request fails before it reaches the store: the connection is cut
   * instead of forwarding it, as a store that resets connections or answers with errors. Nothing is
   * applied, so the client's retry is safe; its SDK sees a reset connection.
   */
  readonly errorRate?: number;
}

/** What the proxy did, for tests and the fault log. */
export interface FaultCounts {
  connections: number;
  refused: number;
  requests: number;
  answersDropped: number;
  delayed: number;
  /** Requests failed by `errorRate` before reaching the store. */
  errors: number;
}

export interface FaultProxy {
  /** `127.0.0.1:<port>` of the proxy's listening side. */
  readonly host: string;
  readonly port: number;
  readonly faults: Faults;
  readonly counts: FaultCounts;
  /** Replaces the faults; freezing or refusing applies to open connections at once. */
  setFaults(faults: Faults): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  awaitingAnswer: boolean;
  held: Array<{ readonly to: Socket; readonly chunk: Buffer }>;
}

/**
 * Starts a TCP proxy on 127.0.0.1 to `target`. The random source is injectable so a test can make
 * `dropAnswers` deterministic.
 */
export async function startFaultProxy(target: { host: string; port: number }, options: { random?: () => number } = {}): Promise<FaultProxy> {
  const random = options.random ?? Math.random;
  let faults: Faults = {};
  const counts: FaultCounts = { connections: 0, refused: 0, requests: 0, answersDropped: 0, delayed: 0, errors: 0 };
  const pairs = new Set<Pair>();
  let port = 0;
  let listening = false;

  const cut = (pair: Pair) => {
    pair.client.destroy();
    pair.upstream.destroy();
    pairs.delete(pair);
  };

  const forward = (pair: Pair, to: Socket, chunk: Buffer) => {
    if (faults.freeze) {
      pair.held.push({ to, chunk });
      return;
    }
    if (!to.destroyed) to.write(chunk);
  };

  const server: Server = createServer((client) => {
    if (faults.refuse) {
      counts.refused++;
      client.destroy();
      return;
    }
    counts.connections++;
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream, awaitingAnswer: false, held: [] };
    pairs.add(pair);
    client.on("data", (chunk: Buffer) => {
      // The first bytes of a request (nothing awaited yet): fail it here, before the store sees it.
      if (!pair.awaitingAnswer && (faults.errorRate ?? 0) > 0 && random() < (faults.errorRate ?? 0)) {
        counts.errors++;
        cut(pair);
        return;
      }
      counts.requests++;
      pair.awaitingAnswer = true;
      const delay = faults.delayMs ?? 0;
      if (delay > 0) {
        counts.delayed++;
        client.pause();
        setTimeout(() => {
          forward(pair, upstream, chunk);
          client.resume();
        }, delay);
      } else {
        forward(pair, upstream, chunk);
      }
    });
    upstream.on("data", (chunk: Buffer) => {
      if (pair.awaitingAnswer && (faults.dropAnswers ?? 0) > 0 && random() < (faults.dropAnswers ?? 0)) {
        counts.answersDropped++;
        cut(pair);
        return;
      }
      pair.awaitingAnswer = false;
      forward(pair, client, chunk);
    });
    const end = () => cut(pair);
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        port = (server.address() as AddressInfo).port;
        listening = true;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
    });
  await listen();

  return {
    host: "127.0.0.1",
    get port() {
      return port;
    },
    get faults() {
      return faults;
    },
    counts,
    async setFaults(next) {
      const wasFrozen = faults.freeze === true;
      faults = { ...next };
      if (faults.refuse) {
        // Closed port: new connections are refused (ECONNREFUSED), open ones are cut.
        for (const pair of [...pairs]) cut(pair);
        await stopListening();
      } else if (!listening) {
        await listen();
      }
      if (wasFrozen && !faults.freeze) {
        for (const pair of pairs) {
          const held = pair.held.splice(0);
          for (const { to, chunk } of held) if (!to.destroyed) to.write(chunk);
        }
      }
    },
    async close() {
      for (const pair of [...pairs]) cut(pair);
      await stopListening();
    },
  };
}
