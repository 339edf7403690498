import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { runSynth } from "../main";
import { formatSynthSummary, summarize } from "../stacks/synth-summary";
import { TOPOLOGY, type Topology } from "../topology";
import { synthApp } from "./support/app";

/** `npm run synth` in process: what it prints on each stream and the exit code. */
function synth(topology: unknown, options: { env?: Record<string, string>; debug?: boolean } = {}) {
  const outdir = mkdtempSync(path.join(tmpdir(), "cells-synth-"));
  const stdout: string[] = [];
  const stderr: string[] = [];
  try {
    const code = runSynth(topology as Topology, { env: options.env ?? {}, debug: options.debug ?? false, outdir, stdout: (t) => stdout.push(t), stderr: (l) => stderr.push(l) });
    return { code, stdout: stdout.join(""), stderr };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const withCells = (...cells: unknown[]) => ({ cells, tenants: [] });

describe("npm run synth, when the topology has mistakes", () => {
  const mistakes = withCells(
    { cloud: "aws", cellId: "alpha", region: "us-east-1", wave: 0, memorySizeMb: 1024 },
    { cloud: "azure", cellId: "beta", location: "eastuss", wave: 1 },
    { cloud: "aws", cellId: "gamma", region: "us-east-9", wave: 1 },
    { cloud: "gcp", cellId: "delta", wave: 1 },
    { cloud: "aws", cellId: "alpha", region: "eu-west-1", wave: 1 },
    { cloud: "aws", cellId: "eps ilon", region: "eu-west-1", wave: 1 },
  );
  const run = synth(mistakes);

  test("prints every problem on stderr, one line each, naming topology.ts, the cell and the field", () => {
    expect(run.stderr).toEqual([
      "topology.ts: cells[0] (alpha).memorySizeMb: unknown field; did you mean 'memorySizeMiB'?",
      "topology.ts: cells[1] (beta).location: 'eastuss' is not an Azure location; did you mean 'eastus'?",
      "topology.ts: cells[2] (gamma).region: 'us-east-9' is not an AWS region; did you mean 'us-east-1'?",
      "topology.ts: cells[3] (delta).cloud: must be 'aws' or 'azure' (the clouds this repo deploys cells to), got 'gcp'",
      "topology.ts: cells[5] (eps ilon).cellId: must match /^[a-z][a-z0-9-]{1,20}$/, got 'eps ilon'",
      "topology.ts: cells[4] (alpha).cellId: duplicate cellId 'alpha' (cells[0] has it too); stack names and registry keys must be unique",
      "Synth stopped: 6 problems in topology.ts; no stack was synthesized.",
    ]);
  });

  test("exits 1 with nothing on stdout and no stack trace", () => {
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.join("\n")).not.toMatch(/^\s+at /m);
  });
});

describe("npm run synth, when something else fails", () => {
  const s3WithoutBucket = { CELLS_BACKEND: "s3" };

  test("prints the message and how to get the stack trace, exit 1", () => {
    const run = synth(TOPOLOGY, { env: s3WithoutBucket });
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: ["Synth failed: CELLS_BACKEND=s3 needs CELLS_STATE_BUCKET to be set", "(npm run synth -- --debug shows the stack trace)"],
    });
  });

  test("--debug adds the stack trace", () => {
    const run = synth(TOPOLOGY, { env: s3WithoutBucket, debug: true });
    expect(run.stderr[1]).toMatch(/^Error: CELLS_BACKEND=s3 needs CELLS_STATE_BUCKET to be set\n\s+at /);
  });
});

describe("npm run synth, when the topology is right", () => {
  test("prints a table of the stacks and the edge's registry and bindings on stdout, exit 0", () => {
    const run = synth(TOPOLOGY);
    expect(run.code).toBe(0);
    expect(run.stderr).toEqual([]);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^Synthesized 3 stacks into .*cells-synth-.*\/$/);
    expect(lines.slice(2, 6).map((l) => l.split(/\s{2,}/).slice(0, 4))).toEqual([
      ["stack", "cloud", "region", "wave"],
      ["cell-alpha", "aws", "us-east-1", "0"],
      ["cell-beta", "azure", "eastus", "1"],
      ["edge", "cloudflare", "-", "last"],
    ]);
  });
});

describe("the synth summary", () => {
  const topology: Topology = {
    cells: [...TOPOLOGY.cells, { cloud: "aws", cellId: "gamma", region: "eu-west-1", wave: 2 }],
    tenants: [...TOPOLOGY.tenants, { tenantId: "T-300", cellId: "gamma" }],
  };
  const app = synthApp(topology);
  const summary = summarize("cdktf.out", app.stacks, topology);

  test("has one row per stack with cloud, region, wave, resource count and outputs", () => {
    const count = (stack: string) => Object.values<Record<string, unknown>>(app.stacks[stack].resource).reduce((n, r) => n + Object.keys(r).length, 0);
    expect(summary.stacks).toEqual([
      { stack: "cell-alpha", cloud: "aws", region: "us-east-1", wave: "0", resources: count("cell-alpha"), outputs: ["admin-key", "endpoint-url", "function-name", "lake-bucket", "lake-failure-queue", "table-name"], crossStackOutputs: 2 },
      { stack: "cell-beta", cloud: "azure", region: "eastus", wave: "1", resources: count("cell-beta"), outputs: ["admin-key", "cosmos-account-name", "endpoint-url", "function-app-name", "lake-container-url"], crossStackOutputs: 2 },
      { stack: "cell-gamma", cloud: "aws", region: "eu-west-1", wave: "2", resources: count("cell-gamma"), outputs: ["admin-key", "endpoint-url", "function-name", "table-name"], crossStackOutputs: 2 },
      { stack: "edge", cloud: "cloudflare", region: "-", wave: "last", resources: count("edge"), outputs: ["registry-namespace-id", "router-url"], crossStackOutputs: 0 },
    ]);
    expect(summary.stacks[0]!.resources).toBeGreaterThan(10);
  });

  test("lists the edge's registry entries and Worker bindings", () => {
    expect(summary.registryEntries).toEqual(["cell:alpha", "cell:beta", "cell:gamma", "tenant:T-100", "tenant:T-200", "tenant:T-300"]);
    expect(summary.bindings).toEqual(expect.arrayContaining([{ name: "REGISTRY", type: "kv_namespace" }, { name: "CELL_KEY_GAMMA", type: "secret_text" }]));
  });

  test("formats deterministically, bindings grouped by type", () => {
    const text = formatSynthSummary(summary);
    expect(formatSynthSummary(summarize("cdktf.out", app.stacks, topology))).toBe(text);
    expect(text).toContain("edge registry entries (6): cell:alpha, cell:beta, cell:gamma, tenant:T-100, tenant:T-200, tenant:T-300\n");
    expect(text).toMatch(/edge Worker bindings \(\d+\): REGISTRY \(kv_namespace\); CELL_KEY_ALPHA, CELL_KEY_BETA, CELL_KEY_GAMMA \(secret_text\); /);
    expect(text).toMatch(/^cell-gamma +aws +eu-west-1 +2 +\d+ +admin-key, endpoint-url, function-name, table-name \(\+2 cross-stack, sensitive\)$/m);
  });
});
