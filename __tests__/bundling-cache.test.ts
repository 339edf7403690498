import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Bundle, BundleSpec } from "../constructs/bundling";

/**
 * The bundle cache across processes: a build is reused while none of its inputs changed. Each test
 * step loads `constructs/bundling` afresh (`jest.isolateModules`), as a new process would, so only
 * what is on disk carries over.
 */

const SPEC: BundleSpec = { name: "fixture", entry: "src/entry.ts", platform: "node", format: "cjs", outFile: "index.js", extraFiles: { "host.json": "{}" }, archive: true };

let root: string;
/** Writes a file as an edit saved a minute ago (a file touched during a build is not recorded; see the last test). */
const write = (file: string, text: string, savedMsAgo = 60_000) => {
  const full = path.join(root, file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, text);
  const at = new Date(Date.now() - savedMsAgo);
  utimesSync(full, at, at);
};

/** `bundle(spec)` in a fresh module instance: no in-process memo, like a new synth process. */
function bundleInNewProcess(spec: BundleSpec = SPEC): Bundle {
  let built: Bundle | undefined;
  jest.isolateModules(() => {
    const { bundle } = require("../constructs/bundling") as typeof import("../constructs/bundling");
    built = bundle(spec, { projectRoot: root });
  });
  return built!;
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "bundle-cache-"));
  write("src/entry.ts", `import { greeting } from "./dep";\nexport const handler = () => greeting;\n`);
  write("src/dep.ts", `export const greeting: string = "hello-v1";\n`);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

test("the first build runs esbuild and records its inputs", () => {
  const built = bundleInNewProcess();
  expect(built.fromCache).toBe(false);
  expect(readFileSync(built.file, "utf8")).toContain("hello-v1");
  const index = readdirSync(path.join(root, ".build", "fixture")).filter((f) => f.startsWith("inputs-"));
  expect(index).toHaveLength(1);
  expect(JSON.parse(readFileSync(path.join(root, ".build", "fixture", index[0]!), "utf8")).inputs).toEqual(["src/dep.ts", "src/entry.ts"]);
});

test("an unchanged tree reuses the build: same folder, hash and zip, no esbuild", () => {
  const first = bundleInNewProcess();
  const second = bundleInNewProcess();
  expect(second.fromCache).toBe(true);
  expect({ ...second, fromCache: false }).toEqual(first);
});

test("a change to a file the entry imports rebuilds, and the new bytes get a new folder", () => {
  const first = bundleInNewProcess();
  write("src/dep.ts", `export const greeting: string = "hello-v2";\n`);
  const second = bundleInNewProcess();
  expect(second.fromCache).toBe(false);
  expect(second.hash).not.toBe(first.hash);
  expect(readFileSync(second.file, "utf8")).toContain("hello-v2");
  expect(bundleInNewProcess().fromCache).toBe(true);
});

test("a new import is seen: the entry changed, so it rebuilds with the new file", () => {
  bundleInNewProcess();
  write("src/extra.ts", `export const extra = "brand-new-module";\n`);
  write("src/entry.ts", `import { greeting } from "./dep";\nimport { extra } from "./extra";\nexport const handler = () => greeting + extra;\n`);
  const built = bundleInNewProcess();
  expect(built.fromCache).toBe(false);
  expect(readFileSync(built.file, "utf8")).toContain("brand-new-module");
});

test("a changed spec (an extra file's content) is a different build", () => {
  const first = bundleInNewProcess();
  const other = bundleInNewProcess({ ...SPEC, extraFiles: { "host.json": `{"version":"2.0"}` } });
  expect(other.fromCache).toBe(false);
  expect(other.hash).not.toBe(first.hash);
  expect(bundleInNewProcess().fromCache).toBe(true);
});

test("a corrupted bundle file is rebuilt and the folder repaired", () => {
  const first = bundleInNewProcess();
  writeFileSync(first.file, "truncated");
  const second = bundleInNewProcess();
  expect(second.fromCache).toBe(false);
  expect(second.hash).toBe(first.hash);
  expect(readFileSync(second.file, "utf8")).toContain("hello-v1");
  expect(bundleInNewProcess().fromCache).toBe(true);
});

test("a folder missing a file, or with a stray one, is rebuilt", () => {
  const first = bundleInNewProcess();
  rmSync(path.join(first.dir, "host.json"));
  expect(bundleInNewProcess().fromCache).toBe(false);
  expect(readFileSync(path.join(first.dir, "host.json"), "utf8")).toBe("{}");
  writeFileSync(path.join(first.dir, "stray.js"), "");
  expect(bundleInNewProcess().fromCache).toBe(false);
  expect(readdirSync(first.dir).sort()).toEqual(["host.json", "index.js"]);
});

test("a missing or damaged zip is rebuilt", () => {
  const first = bundleInNewProcess();
  const zip = readFileSync(first.zipFile!);
  writeFileSync(first.zipFile!, zip.subarray(0, 10));
  const second = bundleInNewProcess();
  expect(second.fromCache).toBe(false);
  expect(readFileSync(second.zipFile!)).toEqual(zip);
  rmSync(first.zipFile!);
  expect(bundleInNewProcess().fromCache).toBe(false);
  expect(existsSync(first.zipFile!)).toBe(true);
});

test("an unreadable record of the inputs means a fresh build", () => {
  bundleInNewProcess();
  const dir = path.join(root, ".build", "fixture");
  const index = readdirSync(dir).find((f) => f.startsWith("inputs-"))!;
  writeFileSync(path.join(dir, index), "{ half-written");
  expect(bundleInNewProcess().fromCache).toBe(false);
  expect(bundleInNewProcess().fromCache).toBe(true);
});

test("a change to the lock file rebuilds (dependencies may resolve differently)", () => {
  write("package-lock.json", `{"lockfileVersion":3}`);
  bundleInNewProcess();
  write("package-lock.json", `{"lockfileVersion":3,"packages":{}}`);
  expect(bundleInNewProcess().fromCache).toBe(false);
});

test("a deleted input rebuilds (and a build that cannot resolve it fails with esbuild's message)", () => {
  bundleInNewProcess();
  rmSync(path.join(root, "src/dep.ts"));
  expect(() => bundleInNewProcess()).toThrow(/Could not resolve "\.\/dep"/);
  expect(readdirSync(path.join(root, ".build", "fixture")).filter((f) => f.startsWith(".staging-"))).toEqual([]);
});

test("an input changed moments before (or during) a build is not recorded, so the next process builds again", () => {
  write("src/dep.ts", `export const greeting: string = "just-saved";\n`, 0);
  expect(bundleInNewProcess().fromCache).toBe(false);
  const second = bundleInNewProcess();
  expect(second.fromCache).toBe(false);
  expect(readFileSync(second.file, "utf8")).toContain("just-saved");
});
