import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import type { LandingZone } from "../../cells/core";

/**
 * A local folder standing in for a cell's lake bucket or container. A put writes a temporary file
 * beside the target and renames it over the target, so a reader (DuckDB's `*.jsonl` glob) sees either
 * the whole file or none of it, and a batch delivered again replaces its earlier copy, as S3 and Blob
 * Storage do.
 */
export class FolderLandingZone implements LandingZone {
  constructor(readonly root: string) {}

  async put(key: string, body: string): Promise<void> {
    const parts = key.split("/");
    if (key.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) throw new Error(`lake file key '${key}' must be a relative path without empty, '.' or '..' segments`);
    const file = path.join(this.root, ...parts);
    await mkdir(path.dirname(file), { recursive: true });
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString("hex")}.tmp`);
    try {
      await writeFile(temp, body);
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
