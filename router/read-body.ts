/**
 * Reading a body stream to the end with a byte limit. The router reads request bodies (to sign them)
 * and cell answers (to check them before passing them on) through this one function, counting the
 * bytes that actually arrive: a missing or lying `Content-Length` cannot get more than `limit` through.
 *
 * The stream types are structural so that both workerd's streams and Node's satisfy them.
 */

/** The part of a stream reader the router uses. */
export interface ByteReader {
  read(): Promise<{ readonly done: boolean; readonly value?: Uint8Array }>;
  cancel(reason?: unknown): Promise<void>;
}

/** A readable byte stream (Fetch API `ReadableStream<Uint8Array>`). */
export interface ByteStream {
  getReader(): ByteReader;
}

/** The whole body, or how many bytes had arrived when it went over the limit. */
export type BodyRead = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly readBytes: number };

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined); // the loser of the race settles later; nobody waits for it
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * How far the router reads a request body it will not use, so that the client's upload ends and it
 * reads the answer: a server that answers and closes while the client is still sending makes many
 * clients (Node's `fetch` among them) report a connection reset instead of the answer. 100 MiB is
 * what Cloudflare itself lets through on its Free and Pro plans; 10 s bounds the time spent.
 */
export const DRAIN_LIMITS = { maxBytes: 100 * 1024 * 1024, timeoutMs: 10_000 } as const;

/**
 * Reads `stream` to the end. As soon as more than `limit` bytes have arrived it answers
 * `{ ok: false }`: with `drain`, after reading and discarding the rest (up to `drain.maxBytes` more),
 * otherwise after cancelling the stream. Rejects when `signal` aborts or the stream fails.
 */
export async function readBody(stream: ByteStream | null, limit: number, signal?: AbortSignal, drain?: { readonly maxBytes: number }): Promise<BodyRead> {
  if (stream === null) return { ok: true, bytes: new Uint8Array(0) };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await untilAborted(reader.read(), signal);
      if (done) break;
      if (value === undefined || value.byteLength === 0) continue;
      total += value.byteLength;
      if (total > limit) {
        if (drain !== undefined) total += await discardRest(reader, drain.maxBytes, signal ?? AbortSignal.timeout(DRAIN_LIMITS.timeoutMs)).catch(() => 0);
        await reader.cancel("body too large").catch(() => undefined);
        return { ok: false, readBytes: total };
      }
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel(error).catch(() => undefined);
    throw error;
  }
  if (chunks.length === 1) return { ok: true, bytes: chunks[0]! };
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}

/** Reads and drops what is left of `reader`, up to `maxBytes`; returns how many bytes it read. */
async function discardRest(reader: ByteReader, maxBytes: number, signal?: AbortSignal): Promise<number> {
  let read = 0;
  while (read <= maxBytes) {
    const { done, value } = await untilAborted(reader.read(), signal);
    if (done) break;
    read += value?.byteLength ?? 0;
  }
  return read;
}

/**
 * Reads and drops a whole body the router answers without using (a refused request), up to
 * `DRAIN_LIMITS`, so the client's upload completes and it sees the answer. Never throws.
 */
export async function drainBody(stream: ByteStream | null): Promise<void> {
  if (stream === null) return;
  const reader = stream.getReader();
  const signal = AbortSignal.timeout(DRAIN_LIMITS.timeoutMs);
  try {
    await discardRest(reader, DRAIN_LIMITS.maxBytes, signal);
  } catch {
    // the client went away or took too long; nothing left to do
  }
  await reader.cancel("drained").catch(() => undefined);
}
