import { KeyedMutex } from "../cells/azure/keyed-mutex";

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("KeyedMutex", () => {
  test("runs one task at a time per key, in arrival order, and different keys side by side", async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    const task = (name: string, ms: number) => async () => {
      events.push(`start ${name}`);
      await later(ms);
      events.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([mutex.run("a", task("a1", 30)), mutex.run("a", task("a2", 1)), mutex.run("b", task("b1", 1))]);
    expect(results).toEqual(["a1", "a2", "b1"]);
    expect(events.indexOf("start a2")).toBeGreaterThan(events.indexOf("end a1"));
    expect(events.indexOf("end b1")).toBeLessThan(events.indexOf("end a1"));
  });

  test("a task whose wait runs out is refused without running, and the next one still waits for the holder", async () => {
    const mutex = new KeyedMutex();
    let running = 0;
    let most = 0;
    const ran: string[] = [];
    const task = (name: string, ms: number) => async () => {
      running++;
      most = Math.max(most, running);
      await later(ms);
      running--;
      ran.push(name);
    };
    const holder = mutex.run("t", task("holder", 80));
    const impatient = mutex.run("t", task("impatient", 1), { waitMs: 10, onTimeout: () => new Error("waited too long") });
    const patient = mutex.run("t", task("patient", 1));
    await expect(impatient).rejects.toThrow("waited too long");
    await Promise.all([holder, patient]);
    expect(ran).toEqual(["holder", "patient"]);
    expect(most).toBe(1);
  });

  test("a failed task does not block the ones behind it", async () => {
    const mutex = new KeyedMutex();
    const failing = mutex.run("t", async () => Promise.reject(new Error("boom")));
    await expect(failing).rejects.toThrow("boom");
    await expect(mutex.run("t", async () => "next", { waitMs: 50, onTimeout: () => new Error("stuck") })).resolves.toBe("next");
  });
});

describe("KeyedMutex shedding", () => {
  test("tasks queued behind a failure they are told to shed answer with it at once, and a later task runs", async () => {
    const mutex = new KeyedMutex();
    const unavailable = new Error("store unavailable");
    const limit = { waitMs: 1_000, onTimeout: () => new Error("waited"), shedAfter: (e: unknown) => e === unavailable };
    let ran = 0;
    const failing = mutex.run("t", async () => {
      ran++;
      await later(20);
      throw unavailable;
    });
    const behind = [1, 2, 3].map(() => mutex.run("t", async () => void ran++, limit));
    await expect(failing).rejects.toBe(unavailable);
    for (const task of behind) await expect(task).rejects.toBe(unavailable);
    expect(ran).toBe(1);
    await later(0); // the queue has drained: a task arriving now runs
    await expect(mutex.run("t", async () => "fresh", limit)).resolves.toBe("fresh");
  });

  test("a failure that is not to be shed lets the next task run", async () => {
    const mutex = new KeyedMutex();
    const conflict = new Error("version conflict");
    const first = mutex.run("t", async () => Promise.reject(conflict));
    const next = mutex.run("t", async () => "ran", { waitMs: 1_000, onTimeout: () => new Error("waited"), shedAfter: (e) => e !== conflict });
    await expect(first).rejects.toBe(conflict);
    await expect(next).resolves.toBe("ran");
  });
});
