import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { connect } from "node:net";
import * as path from "node:path";

/**
 * `npm start` stops cleanly when the npm process alone gets SIGINT or SIGTERM (a process manager, an
 * IDE's stop button, `kill <pid>`), not only when the whole process group does (Ctrl-C): every
 * process under npm exits and every port it listened on closes. Linux only (reads /proc).
 */

const ROOT = path.resolve(__dirname, "../..");
const STARTUP_MS = 60_000;

/** Every process below `pid`, from /proc's parent links. */
function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => (parents.get(p) ?? []).forEach((child) => (out.push(child), walk(child)));
  walk(pid);
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8")); // a zombie has exited
  } catch {
    return false;
  }
};

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });

/** `npm start` on a free port; resolves once it prints the router and cell URLs. */
function startNpm(): Promise<{ npm: ChildProcess; output: () => string; ports: number[] }> {
  const npm = spawn("npm", ["start"], { cwd: ROOT, env: { ...process.env, SANDBOX_PORT: "0" }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  npm.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  npm.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), STARTUP_MS);
    const check = () => {
      if (!/Ctrl-C stops everything/.test(output)) return;
      clearTimeout(timer);
      const ports = [...output.matchAll(/http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
      resolve({ npm, output: () => output, ports: [...new Set(ports)] });
    };
    npm.stdout!.on("data", check);
    npm.once("exit", (code) => reject(new Error(`npm start exited early (${code}):\n${output}`)));
  });
}

const started: ChildProcess[] = [];

afterAll(() => {
  // Whatever a failed test left behind: the whole group npm started.
  for (const npm of started) if (npm.pid !== undefined && alive(npm.pid)) process.kill(-npm.pid, "SIGKILL");
});

describe.each(["SIGINT", "SIGTERM"] as const)("npm start and %s sent to the npm process only", (signal) => {
  test.concurrent(
    "stops the router, the cells and their stores, closes every port, and exits 0",
    async () => {
      const { npm, output, ports } = await startNpm();
      started.push(npm);
      const children = descendantsOf(npm.pid!);
      expect(children.length).toBeGreaterThanOrEqual(2); // node running start.ts, workerd, ...
      expect(ports.length).toBeGreaterThanOrEqual(3); // the router and one port per cell
      for (const port of ports) expect(await portOpen(port)).toBe(true);

      const exited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));
      process.kill(npm.pid!, signal);
      expect(await exited).toBe(0);

      expect(output()).toContain(`${signal}: stopping the sandbox`);
      expect(output()).toContain("Sandbox stopped.");
      expect(children.filter(alive)).toEqual([]);
      for (const port of ports) expect(await portOpen(port)).toBe(false);
    },
    STARTUP_MS + 30_000,
  );
});
