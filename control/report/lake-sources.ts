import { existsSync } from "node:fs";
import * as path from "node:path";

/**
 * Where the report reads lake files from. A source is a landing zone's root: a local folder (the
 * sandbox's `.sandbox/lake`, or a copy of a bucket), an S3 bucket (`s3://<bucket>[/<prefix>]`), or an
 * Azure landing container (`az://<account>.blob.core.windows.net/<container>` or
 * `abfss://<container>@<account>.dfs.core.windows.net`). Under each root the files follow the lake's
 * Hive layout, `cloud=<cloud>/cell=<cellId>/dt=<day>/<name>.jsonl`.
 */

/** The sandbox's lake folder: `npm start` lands there, `npm run report` reads it by default. */
export const SANDBOX_LAKE_DIR = path.join(".sandbox", "lake");
/** Where `npm run report` writes its Parquet files unless told otherwise. */
export const DEFAULT_REPORT_DIR = path.join(".sandbox", "report");

/** The lake's file layout below a landing zone's root. */
export const LAKE_LAYOUT_GLOB = "cloud=*/cell=*/dt=*/*.jsonl";

export type LakeSourceSpec =
  | { readonly kind: "local"; readonly root: string; readonly glob: string }
  | { readonly kind: "s3"; readonly root: string; readonly glob: string }
  | { readonly kind: "azure"; readonly root: string; readonly glob: string; readonly accountName: string };

/** Thrown for a source the report cannot read; the message says which forms are accepted. */
export class LakeSourceError extends Error {
  override readonly name = "LakeSourceError";
}

const AZ_BLOB = /^az:\/\/([a-z0-9]{3,24})\.blob\.core\.windows\.net\/[a-z0-9][a-z0-9-]{2,62}(\/.*)?$/;
const ABFSS = /^abfss:\/\/[a-z0-9][a-z0-9-]{2,62}@([a-z0-9]{3,24})\.dfs\.core\.windows\.net(\/.*)?$/;
const S3 = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;

const withGlob = (root: string): string => `${root.replace(/\/+$/, "")}/${LAKE_LAYOUT_GLOB}`;

/**
 * Parses one `--lake` value. A local folder matches its files at any depth below it (`<dir>/**`), so
 * both the sandbox's lake folder (one sub-folder per cell) and a single zone's folder work.
 */
export function parseLakeSource(value: string): LakeSourceSpec {
  if (S3.test(value)) return { kind: "s3", root: value, glob: withGlob(value) };
  const az = AZ_BLOB.exec(value) ?? ABFSS.exec(value);
  if (az) return { kind: "azure", root: value, glob: withGlob(value), accountName: az[1]! };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new LakeSourceError(
      `cannot read lake source '${value}': use a local folder, s3://<bucket>[/<prefix>], az://<account>.blob.core.windows.net/<container> or abfss://<container>@<account>.dfs.core.windows.net`,
    );
  }
  const root = path.resolve(value);
  if (!existsSync(root)) throw new LakeSourceError(`lake folder '${value}' does not exist (the sandbox creates ${SANDBOX_LAKE_DIR} when it starts: npm start)`);
  return { kind: "local", root, glob: path.join(root, "**", ...LAKE_LAYOUT_GLOB.split("/")) };
}
