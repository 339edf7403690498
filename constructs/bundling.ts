import { buildSync, version as esbuildVersion, type BuildOptions } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { BundleSpec } from "../bundle-spec";
import { zipFolder } from "./zip";

/** Repository root: bundles are built from here and written under `.build/`. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

export type { BundleSpec };

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
  /** True when an earlier build (any process) was reused because none of its inputs changed; false when esbuild ran. */
  readonly fromCache: boolean;
}

/** Where and how to bundle; tests point it at a scratch project. */
export interface BundleOptions {
  /** The project the entry is relative to; `.build/` goes under it. @default PROJECT_ROOT */
  readonly projectRoot?: string;
}

/**
 * What a build recorded about its inputs, in `.build/<name>/inputs-<spec key>.json`: the files esbuild
 * read (its metafile) and their combined hash, and the artifact that came out.
 */
interface InputsIndex {
  readonly version: typeof INDEX_VERSION;
  /** Files esbuild read, relative to the project root. */
  readonly inputs: readonly string[];
  readonly inputsHash: string;
  /** `Bundle.hash` of the output. */
  readonly hash: string;
  /** SHA-256 of the zip, with `archive`. */
  readonly zipHash?: string;
}

const INDEX_VERSION = 1;

/** An input modified this close to a build's start may have changed during it: the build is not recorded. */
const RECENT_CHANGE_MS = 2_000;

const cache = new Map<string, Bundle>();

/**
 * Bundles one runtime entry with esbuild: minified, no source maps, no absolute paths in the output,
 * so the same source gives the same bytes on every machine. Built into `.build/<name>/<content hash>/`.
 *
 * Across processes, a build is reused while its inputs are unchanged: each build records the files
 * esbuild read (its metafile) and a hash over them plus everything else that shapes the output (the
 * spec, the esbuild version, `tsconfig.json`, `package.json`, `package-lock.json`). The next process
 * hashes those files again (~10 ms for the Function's 760) and, if the hash matches and the folder
 * (and zip) still hold exactly the recorded bytes, skips esbuild (~250 ms for the three bundles). A
 * changed input, a missing or corrupted folder or zip, or an unreadable index means a fresh build. An
 * import added to a source file changes that file, so a new dependency is always seen. Within one
 * process each spec is resolved once.
 */
export function bundle(spec: BundleSpec, options: BundleOptions = {}): Bundle {
  const root = options.projectRoot ?? PROJECT_ROOT;
  const cacheKey = `${root}\0${JSON.stringify(spec)}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;

  const parent = path.join(root, ".build", spec.name);
  const indexFile = path.join(parent, `inputs-${specKey(spec, root).slice(0, 16)}.json`);
  const built = reuse(spec, root, parent, indexFile) ?? build(spec, root, parent, indexFile);
  cache.set(cacheKey, built);
  return built;
}

const projectKeys = new Map<string, string>();

/** The project's config and lock file, hashed once per process: they shape every bundle. */
function projectKey(root: string): string {
  let key = projectKeys.get(root);
  if (key === undefined) {
    const hash = createHash("sha256");
    for (const file of ["tsconfig.json", "package.json", "package-lock.json"]) {
      const full = path.join(root, file);
      hash.update(file).update("\0").update(existsSync(full) ? readFileSync(full) : "(absent)").update("\0");
    }
    key = hash.digest("hex");
    projectKeys.set(root, key);
  }
  return key;
}

/** What shapes the output besides the files esbuild reads: the spec, esbuild itself, the project's config and lock file. */
const specKey = (spec: BundleSpec, root: string): string =>
  createHash("sha256").update(JSON.stringify(spec)).update("\0").update(esbuildVersion).update("\0").update(projectKey(root)).digest("hex");

/** Hash over the spec key and each input's path and bytes; `undefined` if an input is gone. */
function inputsHash(key: string, root: string, inputs: readonly string[]): string | undefined {
  const hash = createHash("sha256").update(key);
  for (const input of inputs) {
    let content: Buffer;
    try {
      content = readFileSync(path.join(root, input));
    } catch {
      return undefined;
    }
    hash.update("\0").update(input).update("\0").update(content);
  }
  return hash.digest("hex");
}

/** The bundle's files, name order: the main file and the extra files. */
const fileNames = (spec: BundleSpec): string[] => [spec.outFile, ...Object.keys(spec.extraFiles ?? {})].sort();

/** `Bundle.hash`: SHA-256 over each file's name and bytes, in name order. */
function contentHash(files: ReadonlyArray<readonly [string, Buffer]>): string {
  const hash = createHash("sha256");
  for (const [name, content] of files) hash.update(name).update("\0").update(content).update("\0");
  return hash.digest("hex");
}

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

function readIndex(indexFile: string): InputsIndex | undefined {
  try {
    const index = JSON.parse(readFileSync(indexFile, "utf8")) as InputsIndex;
    return index.version === INDEX_VERSION && Array.isArray(index.inputs) && typeof index.hash === "string" ? index : undefined;
  } catch {
    return undefined;
  }
}

/** The recorded build, if its inputs are unchanged and its folder (and zip) hold exactly what it wrote. */
function reuse(spec: BundleSpec, root: string, parent: string, indexFile: string): Bundle | undefined {
  const index = readIndex(indexFile);
  if (!index || inputsHash(specKey(spec, root), root, index.inputs) !== index.inputsHash) return undefined;
  const dir = path.join(parent, index.hash.slice(0, 16));
  const names = fileNames(spec);
  let files: Array<[string, Buffer]>;
  try {
    if (readdirSync(dir).sort().join("\0") !== names.join("\0")) return undefined;
    files = names.map((name) => [name, readFileSync(path.join(dir, name))]);
  } catch {
    return undefined;
  }
  if (contentHash(files) !== index.hash) return undefined;
  let zipFile: string | undefined;
  if (spec.archive) {
    zipFile = `${dir}.zip`;
    try {
      if (sha256(readFileSync(zipFile)) !== index.zipHash) return undefined;
    } catch {
      return undefined;
    }
  }
  return { dir, file: path.join(dir, spec.outFile), hash: index.hash, bytes: files.reduce((n, [, c]) => n + c.length, 0), zipFile, fromCache: true };
}

/** Runs esbuild, moves the output to its content-addressed folder, writes the zip, and records the inputs. */
function build(spec: BundleSpec, root: string, parent: string, indexFile: string): Bundle {
  // Build into a private folder, then move it to a folder named by its content hash. Parallel
  // processes (jest workers, a synth beside a test run) never see each other's half-written files,
  // and a folder that exists already holds exactly these bytes (checked; a damaged one is replaced).
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(path.join(parent, ".staging-"));
  const started = Date.now();
  const options: BuildOptions = {
    entryPoints: [path.join(root, spec.entry)],
    absWorkingDir: root,
    outfile: path.join(staging, spec.outFile),
    bundle: true,
    minify: true,
    platform: spec.platform,
    format: spec.format,
    target: "es2022",
    external: [...(spec.external ?? [])],
    mainFields: spec.platform === "neutral" ? ["module", "main"] : undefined,
    legalComments: "none",
    sourcemap: false,
    logLevel: "silent",
    metafile: true,
    write: true,
  };
  let result: ReturnType<typeof buildSync>;
  try {
    result = buildSync(options);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  if (result.errors.length > 0) throw new Error(`bundling ${spec.entry} failed: ${result.errors.map((e) => e.text).join("; ")}`);

  for (const [name, content] of Object.entries(spec.extraFiles ?? {})) writeFileSync(path.join(staging, name), content);
  const files = fileNames(spec).map((name): [string, Buffer] => [name, readFileSync(path.join(staging, name))]);
  const digest = contentHash(files);
  const dir = path.join(parent, digest.slice(0, 16));
  placeFolder(staging, dir, digest, files);
  const zip = spec.archive ? writeZip(dir) : undefined;

  // Record the inputs unless one may have changed while esbuild ran: the hash is taken after the
  // build, so it must not see bytes esbuild did not. File times can trail the clock (coarse kernel
  // clock, 1-2 s granularity on some file systems), hence the margin; such a build is simply redone.
  const inputs = Object.keys(result.metafile?.inputs ?? {}).sort();
  const changedDuringBuild = inputs.some((input) => (statSync(path.join(root, input), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) > started - RECENT_CHANGE_MS);
  const hashOfInputs = inputsHash(specKey(spec, root), root, inputs);
  if (!changedDuringBuild && hashOfInputs !== undefined) {
    const index: InputsIndex = { version: INDEX_VERSION, inputs, inputsHash: hashOfInputs, hash: digest, zipHash: zip?.hash };
    writeAtomically(indexFile, `${JSON.stringify(index, null, 1)}\n`);
  }
  return { dir, file: path.join(dir, spec.outFile), hash: digest, bytes: files.reduce((n, [, c]) => n + c.length, 0), zipFile: zip?.file, fromCache: false };
}

/** Moves `staging` to `dir`, unless `dir` already holds the same bytes; a damaged `dir` is replaced. */
function placeFolder(staging: string, dir: string, digest: string, files: ReadonlyArray<readonly [string, Buffer]>): void {
  if (existsSync(dir)) {
    const intact = (() => {
      try {
        return readdirSync(dir).sort().join("\0") === files.map(([n]) => n).join("\0") && contentHash(files.map(([n]) => [n, readFileSync(path.join(dir, n))] as const)) === digest;
      } catch {
        return false;
      }
    })();
    if (intact) {
      rmSync(staging, { recursive: true, force: true });
      return;
    }
    // Move the damaged folder aside first: a rename is atomic, so readers see the old or the new folder.
    const trash = `${dir}.damaged-${process.pid}-${Date.now()}`;
    try {
      renameSync(dir, trash);
      rmSync(trash, { recursive: true, force: true });
    } catch {
      // another process replaced it first
    }
  }
  try {
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(dir)) throw error; // another process won the race with the same bytes otherwise
  }
}

/** `<dir>.zip`, rewritten (temp file and rename) unless it already holds exactly the folder's zip. */
function writeZip(dir: string): { file: string; hash: string } {
  const file = `${dir}.zip`;
  const bytes = zipFolder(dir);
  const hash = sha256(bytes);
  let current: string | undefined;
  try {
    current = sha256(readFileSync(file));
  } catch {
    current = undefined;
  }
  if (current !== hash) writeAtomically(file, bytes);
  return { file, hash };
}

function writeAtomically(file: string, content: string | Buffer): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, file);
}

/** The zip of a bundle built with `archive: true` (what a Lambda or a Function App runs). */
export function packageOf(built: Bundle): string {
  if (built.zipFile === undefined) throw new Error(`bundle ${built.dir} was built without archive: true`);
  return built.zipFile;
}
