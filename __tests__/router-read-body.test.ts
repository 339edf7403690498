import { drainBody, readBody, untilAborted, type ByteStream } from "../router/read-body";

/** Reading bodies with a byte limit: what is counted, what is drained, what an abort does. */

/** A stream of `chunks` (sizes, or `undefined` for a read that brings no bytes), recording reads and cancels. */
function stream(chunks: Array<number | undefined | Error>) {
  const queue = [...chunks];
  const log = { reads: 0, cancels: [] as unknown[] };
  const s: ByteStream = {
    getReader: () => ({
      read: async () => {
        log.reads++;
        if (queue.length === 0) return { done: true };
        const next = queue.shift();
        if (next instanceof Error) throw next;
        return next === undefined ? { done: false } : { done: false, value: new Uint8Array(next).fill(0x61 + log.reads) };
      },
      cancel: async (reason?: unknown) => void log.cancels.push(reason),
    }),
  };
  return { s, log };
}

/** A reader whose read never settles. */
const stalled: ByteStream = { getReader: () => ({ read: () => new Promise<never>(() => undefined), cancel: async () => undefined }) };

describe("readBody", () => {
  test("no stream is an empty body", async () => {
    expect(await readBody(null, 10)).toEqual({ ok: true, bytes: new Uint8Array(0) });
  });

  test("chunks are joined in order; reads that bring nothing are skipped", async () => {
    const { s } = stream([2, undefined, 0, 3]);
    const read = await readBody(s, 10);
    expect(read).toEqual({ ok: true, bytes: new Uint8Array([0x62, 0x62, 0x65, 0x65, 0x65]) });
  });

  test("a body of exactly the limit is whole", async () => {
    expect((await readBody(stream([60, 40]).s, 100)).ok).toBe(true);
  });

  test("past the limit without draining: the stream is cancelled and the bytes read so far are counted", async () => {
    const { s, log } = stream([60, 60, 60]);
    expect(await readBody(s, 100)).toEqual({ ok: false, readBytes: 120 });
    expect(log).toEqual({ reads: 2, cancels: ["body too large"] });
  });

  test("past the limit with draining: the rest is read and counted, up to the drain's limit", async () => {
    const { s, log } = stream([60, 60, 50, 50, 50, 50]);
    expect(await readBody(s, 100, undefined, { maxBytes: 100 })).toEqual({ ok: false, readBytes: 270 });
    expect(log.reads).toBe(5);
    const all = stream([60, 60, 10, undefined, 10]);
    expect(await readBody(all.s, 100, undefined, { maxBytes: 1_000 })).toEqual({ ok: false, readBytes: 140 });
    expect(all.log.cancels).toEqual(["body too large"]);
  });

  test("a stream that fails while being drained still answers, counting what arrived before", async () => {
    const { s } = stream([60, 60, new Error("client went away")]);
    expect(await readBody(s, 100, undefined, { maxBytes: 1_000 })).toEqual({ ok: false, readBytes: 120 });
  });

  test("a stream that fails is cancelled and the failure thrown", async () => {
    const failure = new TypeError("reset");
    const { s, log } = stream([10, failure]);
    await expect(readBody(s, 100)).rejects.toBe(failure);
    expect(log.cancels).toEqual([failure]);
  });

  test("an abort stops a read that hangs", async () => {
    const controller = new AbortController();
    const read = readBody(stalled, 100, controller.signal);
    controller.abort(new Error("too slow"));
    await expect(read).rejects.toThrow("too slow");
  });
});

describe("untilAborted", () => {
  test("settles like the promise while the signal does not abort", async () => {
    const controller = new AbortController();
    await expect(untilAborted(Promise.resolve(5), controller.signal)).resolves.toBe(5);
    await expect(untilAborted(Promise.reject(new Error("no")), controller.signal)).rejects.toThrow("no");
    await expect(untilAborted(Promise.resolve(6), undefined)).resolves.toBe(6);
  });

  test("rejects with the signal's reason, at once when it already aborted", async () => {
    const done = new AbortController();
    done.abort(new Error("already"));
    await expect(untilAborted(new Promise(() => undefined), done.signal)).rejects.toThrow("already");
    const later = new AbortController();
    const pending = untilAborted(new Promise(() => undefined), later.signal);
    later.abort(new Error("later"));
    await expect(pending).rejects.toThrow("later");
  });
});

describe("drainBody", () => {
  test("reads a refused body to its end and lets go of it", async () => {
    const { s, log } = stream([10, 10, 10]);
    await drainBody(s);
    expect(log).toEqual({ reads: 4, cancels: ["drained"] });
  });

  test("no stream, or one that fails, is fine", async () => {
    await expect(drainBody(null)).resolves.toBeUndefined();
    const { s, log } = stream([10, new Error("gone")]);
    await expect(drainBody(s)).resolves.toBeUndefined();
    expect(log.cancels).toEqual(["drained"]);
  });
});
