import { buildSync, type BuildOptions } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { zipFolder } from "./zip";

/** Repository root: bundles are built from here and written under `.build/`. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

export interface BundleSpec {
  /** Folder name under `.build/`, e.g. `aws-cell-lambda`; each build lands in a sub-folder named by its hash. */
  readonly name: string;
  /** Entry file, relative to the repository root. */
  readonly entry: string;
  readonly platform: "node" | "neutral";
  readonly format: "cjs" | "esm";
  /** File name of the bundle inside its folder, e.g. `index.js`. */
  readonly outFile: string;
  /** Packages left out of the bundle (the runtime provides them). */
  readonly external?: readonly string[];
  /** Extra files to write beside the bundle (e.g. `host.json`), name -> content. */
  readonly extraFiles?: Readonly<Record<string, string>>;
  /** esbuild `conditions`/`mainFields` tweaks for the Worker. */
  readonly conditions?: readonly string[];
  /** Also write a deterministic zip of the folder (`Bundle.zipFile`), for code shipped as a package. */
  readonly archive?: boolean;
}

export interface Bundle {
  /** Absolute folder holding the bundle and its extra files (what a `TerraformAsset` points at). */
  readonly dir: string;
  /** Absolute path of the bundle file. */
  readonly file: string;
  /** SHA-256 (hex) of every file in the folder, in name order: changes exactly when the artifact changes. */
  readonly hash: string;
  readonly bytes: number;
  /** With `archive`: absolute path of the folder's deterministic zip, beside the folder. */
  readonly zipFile?: string;
}

const cache = new Map<string, Bundle>();

/**
 * Bundles one runtime entry with esbuild: minified, no source maps, no absolute paths in the output,
 * so the same source gives the same bytes on every machine. Built once per process and spec, into
 * `.build/<name>/<content hash>/`.
 */
export function bundle(spec: BundleSpec): Bundle {
  const cacheKey = JSON.stringify(spec);
  const cached = cache.get(cacheKey);
  if (cached) return cached;

  // Build into a private folder, then move it to a folder named by its content hash. Parallel
  // processes (jest workers, a synth beside a test run) never see each other's half-written files,
  // and a folder that exists already holds exactly these bytes.
  const parent = path.join(PROJECT_ROOT, ".build", spec.name);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(path.join(parent, ".staging-"));
  const options: BuildOptions = {
    entryPoints: [path.join(PROJECT_ROOT, spec.entry)],
    absWorkingDir: PROJECT_ROOT,
    outfile: path.join(staging, spec.outFile),
    bundle: true,
    minify: true,
    platform: spec.platform,
    format: spec.format,
    target: "es2022",
    external: [...(spec.external ?? [])],
    conditions: spec.conditions ? [...spec.conditions] : undefined,
    mainFields: spec.platform === "neutral" ? ["module", "main"] : undefined,
    legalComments: "none",
    sourcemap: false,
    logLevel: "silent",
    write: true,
  };
  const result = buildSync(options);
  if (result.errors.length > 0) throw new Error(`bundling ${spec.entry} failed: ${result.errors.map((e) => e.text).join("; ")}`);

  const files: Array<[string, Buffer]> = [[spec.outFile, readFileSync(path.join(staging, spec.outFile))]];
  for (const [name, content] of Object.entries(spec.extraFiles ?? {})) {
    writeFileSync(path.join(staging, name), content);
    files.push([name, Buffer.from(content)]);
  }
  files.sort(([a], [b]) => (a < b ? -1 : 1));
  const hash = createHash("sha256");
  for (const [name, content] of files) hash.update(name).update("\0").update(content).update("\0");
  const digest = hash.digest("hex");

  const dir = path.join(parent, digest.slice(0, 16));
  if (existsSync(dir)) {
    rmSync(staging, { recursive: true, force: true });
  } else {
    try {
      renameSync(staging, dir);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(dir)) throw error; // another process won the race with the same bytes otherwise
    }
  }
  const zipFile = spec.archive ? writeZipOnce(dir) : undefined;
  const built: Bundle = { dir, file: path.join(dir, spec.outFile), hash: digest, bytes: files.reduce((n, [, c]) => n + c.length, 0), zipFile };
  cache.set(cacheKey, built);
  return built;
}

/** `<dir>.zip`, written atomically (temp file and rename) unless a process already wrote the same bytes. */
function writeZipOnce(dir: string): string {
  const zipFile = `${dir}.zip`;
  if (!existsSync(zipFile)) {
    const temp = `${zipFile}.${process.pid}.tmp`;
    writeFileSync(temp, zipFolder(dir));
    renameSync(temp, zipFile);
  }
  return zipFile;
}

/** The zip of a bundle built with `archive: true` (what a Lambda or a Function App runs). */
export function packageOf(built: Bundle): string {
  if (built.zipFile === undefined) throw new Error(`bundle ${built.dir} was built without archive: true`);
  return built.zipFile;
}
