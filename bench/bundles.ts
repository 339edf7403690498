import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { formatTable, kib, round } from "./table";
import { filesOf, zipFolder } from "../constructs/zip";

/**
 * Section 4: the deployed artifacts' sizes. Each bundle is built with the same `bundle()` and spec
 * the constructs use (so these are the bytes that ship), then measured: the main file raw and
 * gzipped (level 9), the whole folder raw, and the deterministic zip of the folder that the cell
 * stacks ship (`constructs/zip.ts`, deflate level 9). The Worker ships as one file, so its zip column
 * is what a zip would be, not what is uploaded; Cloudflare counts its gzip size.
 */

export interface BundleRow {
  readonly artifact: string;
  readonly spec: string;
  readonly mainFile: string;
  /** First `bundle()` call in this process: an esbuild build, or a reuse of `.build/` when no input changed. */
  readonly buildMs: number;
  /** The build came from `.build/` (no input changed since it was made), not from esbuild. */
  readonly fromCache: boolean;
  readonly files: readonly string[];
  readonly mainBytes: number;
  readonly mainGzipBytes: number;
  readonly folderBytes: number;
  readonly zipBytes: number;
  readonly hash: string;
}

export interface BundlesSection {
  readonly rows: readonly BundleRow[];
}

export async function runBundlesSection(): Promise<BundlesSection> {
  const { bundle } = require("../constructs/bundling") as typeof import("../constructs/bundling");
  const { AWS_CELL_BUNDLE } = require("../constructs/aws-cell") as typeof import("../constructs/aws-cell");
  const { AZURE_CELL_BUNDLE } = require("../constructs/azure-cell") as typeof import("../constructs/azure-cell");
  const { AWS_LAKE_BUNDLE } = require("../constructs/aws-lake") as typeof import("../constructs/aws-lake");
  const { ROUTER_BUNDLE } = require("../router/bundle-spec") as typeof import("../router/bundle-spec");
  const artifacts = [
    { artifact: "Worker (edge router)", spec: ROUTER_BUNDLE },
    { artifact: "Lambda (AWS cell)", spec: AWS_CELL_BUNDLE },
    { artifact: "Function package (Azure cell)", spec: AZURE_CELL_BUNDLE },
    { artifact: "Lambda (AWS lake consumer)", spec: AWS_LAKE_BUNDLE },
  ];
  const rows: BundleRow[] = [];
  for (const { artifact, spec } of artifacts) {
    const start = performance.now();
    const built = bundle(spec);
    const buildMs = performance.now() - start;
    const main = readFileSync(built.file);
    const files = filesOf(built.dir);
    rows.push({
      artifact,
      spec: spec.name,
      mainFile: path.basename(built.file),
      buildMs,
      fromCache: built.fromCache,
      files: files.map((f) => f.name),
      mainBytes: main.length,
      mainGzipBytes: gzipSync(main, { level: 9 }).length,
      folderBytes: files.reduce((n, f) => n + readFileSync(f.file).length, 0),
      // The shipped package where there is one (the cells); a zip of the one-file Worker for comparison.
      zipBytes: built.zipFile ? statSync(built.zipFile).size : zipFolder(built.dir).length,
      hash: built.hash.slice(0, 16),
    });
  }
  return { rows };
}

export function formatBundlesSection(section: BundlesSection): { table: string; summary: string[] } {
  const table = formatTable<BundleRow>(
    [
      { header: "artifact", value: (r) => r.artifact, align: "left" },
      { header: "files", value: (r) => r.files.join(" + "), align: "left" },
      { header: "main bytes", value: (r) => r.mainBytes },
      { header: "main KiB", value: (r) => kib(r.mainBytes) },
      { header: "main gzip", value: (r) => r.mainGzipBytes },
      { header: "gzip KiB", value: (r) => kib(r.mainGzipBytes) },
      { header: "folder bytes", value: (r) => r.folderBytes },
      { header: "zip bytes", value: (r) => r.zipBytes },
      { header: "zip KiB", value: (r) => kib(r.zipBytes) },
      { header: "build ms", value: (r) => `${round(r.buildMs, 0)}${r.fromCache ? " (cached)" : ""}` },
    ],
    section.rows,
  );
  const [worker, lambda, fn, lake] = section.rows;
  const summary = [
    `gzip = level 9 of the main file; zip = deflate (level 9) zip of the whole bundle folder, the same deterministic zip the cell stacks ship (constructs/zip.ts). build ms = the first bundle() call in this process: esbuild, or "(cached)" when .build/ already held a build of unchanged inputs.`,
    `bundles: Worker ${kib(worker!.mainGzipBytes)} KiB gzipped, Lambda ${kib(lambda!.zipBytes)} KiB zipped, Function package ${kib(fn!.zipBytes)} KiB zipped, lake consumer Lambda ${kib(lake!.zipBytes)} KiB zipped (all minified; the Lambdas leave @aws-sdk/* to the runtime, the Function package bundles its SDKs: @azure/functions, @azure/cosmos, @azure/identity, and @azure/storage-blob for the lake trigger).`,
  ];
  return { table, summary };
}
