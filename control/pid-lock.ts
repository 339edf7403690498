import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/**
 * A lock file holding its owner's pid, so two `cellctl` processes on one machine never do the same
 * work: taken with an exclusive create, held while its process lives (a second taker in the same
 * process is refused too), taken over once that process is gone (a crashed controller).
 */
export function takePidLock(file: string): { release(): void } | { heldBy: number } {
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return { release: () => rmSync(file, { force: true }) };
    } catch {
      const holder = Number(readFileSync(file, "utf8"));
      if (holder === process.pid || isAlive(holder)) return { heldBy: holder };
      rmSync(file, { force: true }); // the holder died: what it did is in its journal
    }
  }
  return { heldBy: Number(readFileSync(file, "utf8")) };
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
