import { AWS_REGIONS, AZURE_LOCATIONS, AWS_REGION_PATTERN, AZURE_LOCATION_PATTERN } from "../constructs/props/regions";
import { TOPOLOGY, capacityOf, wavesOf, type Topology } from "../topology";
import { TopologyError, formatTopologyProblem, loadTopology, validateTopology } from "../topology-schema";

/** A valid topology of three cells (alpha the canary, beta and gamma in wave 1) with `change` applied to a copy. */
function topology(change: (t: { cells: any[]; tenants: any[]; [key: string]: unknown }) => void = () => undefined): unknown {
  const t = {
    cells: [
      { cloud: "aws", cellId: "alpha", region: "us-east-1", wave: 0 },
      { cloud: "azure", cellId: "beta", location: "eastus", wave: 1 },
      { cloud: "aws", cellId: "gamma", region: "eu-west-1", wave: 1 },
    ],
    tenants: [
      { tenantId: "T-100", cellId: "alpha" },
      { tenantId: "T-200", cellId: "beta" },
    ],
  };
  change(t);
  return t;
}

/** The problems of a topology, one line each, as the commands print them. */
function lines(raw: unknown): string[] {
  const result = validateTopology(raw);
  return result.ok ? [] : result.problems.map(formatTopologyProblem);
}

describe("validateTopology", () => {
  test("accepts the deployed topology and returns it unchanged", () => {
    const result = validateTopology(TOPOLOGY);
    expect(result).toEqual({ ok: true, value: TOPOLOGY });
    expect(result.ok && result.value).toBe(TOPOLOGY);
  });

  test("accepts the fixture topology", () => {
    expect(lines(topology())).toEqual([]);
  });

  test.each<[string, (t: any) => void, string]>([
    ["a well-formed region AWS does not have", (t) => (t.cells[2].region = "us-east-9"), "cells[2] (gamma).region: 'us-east-9' is not an AWS region; did you mean 'us-east-1'?"],
    ["a misspelled Azure location", (t) => (t.cells[1].location = "eastuss"), "cells[1] (beta).location: 'eastuss' is not an Azure location; did you mean 'eastus'?"],
    ["an Azure display name", (t) => (t.cells[1].location = "West Europe"), "cells[1] (beta).location: 'West Europe' is not an Azure location; did you mean 'westeurope'?"],
    ["an Azure location on an AWS cell", (t) => (t.cells[0].region = "westeurope"), "cells[0] (alpha).region: 'westeurope' is an Azure location, not an AWS region; AWS regions look like 'eu-west-1'"],
    ["a cloud this repo does not deploy", (t) => (t.cells[2].cloud = "gcp"), "cells[2] (gamma).cloud: must be 'aws' or 'azure' (the clouds this repo deploys cells to), got 'gcp'"],
    ["a cloud in capitals", (t) => (t.cells[1].cloud = "Azure"), "cells[1] (beta).cloud: must be 'aws' or 'azure' (the clouds this repo deploys cells to), got 'Azure'; did you mean 'azure'?"],
    ["no cloud", (t) => delete t.cells[0].cloud, "cells[0] (alpha).cloud: must be 'aws' or 'azure' (the clouds this repo deploys cells to), it is missing"],
    ["a misspelled prop", (t) => (t.cells[0].memorySizeMb = 1024), "cells[0] (alpha).memorySizeMb: unknown field; did you mean 'memorySizeMiB'?"],
    ["a prop of the other cloud", (t) => (t.cells[0].hostingPlan = "Consumption"), "cells[0] (alpha).hostingPlan: unknown field; aws cell fields are cloud, cellId, region, allowUnlistedRegion, lambdaRuntime, architecture, memorySizeMiB, timeoutSeconds, logRetentionDays, throttlingRateLimit, throttlingBurstLimit, reservedConcurrency, signingKeyVersion, adminKeyVersion, tableDeletionProtection, lake, standby, wave, capacity"],
    ["a prop value out of range", (t) => (t.cells[2].timeoutSeconds = 30), "cells[2] (gamma).timeoutSeconds: must be an integer from 1 to 29, got 30"],
    ["a cross-field prop rule", (t) => (t.cells[1].cosmosThroughputRu = 400), "cells[1] (beta).cosmosThroughputRu: applies to cosmosCapacity 'Provisioned' only (a serverless account has no provisioned throughput), got 400"],
    ["a duplicate cellId", (t) => (t.cells[2].cellId = "alpha"), "cells[2] (alpha).cellId: duplicate cellId 'alpha' (cells[0] has it too); stack names and registry keys must be unique"],
    ["a cellId with a space", (t) => (t.cells[2].cellId = "gam ma"), "cells[2] (gam ma).cellId: must match /^[a-z][a-z0-9-]{1,20}$/, got 'gam ma'"],
    ["no cellId", (t) => delete t.cells[2].cellId, "cells[2].cellId: is required, e.g. 'alpha'"],
    ["no region", (t) => delete t.cells[2].region, "cells[2] (gamma).region: is required, e.g. 'eu-west-1'"],
    ["no wave", (t) => delete t.cells[1].wave, "cells[1] (beta).wave: is required, the cell's deploy wave: 0 for the canary, then 1, 2, ..."],
    ["a negative wave", (t) => (t.cells[1].wave = -1), "cells[1] (beta).wave: must be an integer of at least 0 (wave 0 is the canary wave), got -1"],
    ["a fractional wave", (t) => (t.cells[1].wave = 0.5), "cells[1] (beta).wave: must be an integer of at least 0 (wave 0 is the canary wave), got 0.5"],
    ["a wave given as a string", (t) => (t.cells[1].wave = "1"), "cells[1] (beta).wave: must be a number, got '1'"],
    ["a gap between waves", (t) => (t.cells[1].wave = t.cells[2].wave = 2), "cells[1] (beta).wave: wave 2 follows no wave 1; waves must be contiguous from 0 (in use: 0, 2)"],
    ["a capacity of 0", (t) => (t.cells[0].capacity = 0), "cells[0] (alpha).capacity: must be an integer of at least 1 (the number of tenants the cell may hold), got 0"],
    ["more tenants on a cell than its capacity", (t) => ((t.cells[0].capacity = 1), t.tenants.push({ tenantId: "T-101", cellId: "alpha" })), "cells[0] (alpha).capacity: 2 tenants are placed on 'alpha', more than its capacity of 1"],
    ["a cell that is not an object", (t) => (t.cells[2] = "gamma"), "cells[2]: must be a cell object ({ cloud, cellId, ... }), got 'gamma'"],
    ["a tenant on a cell that does not exist", (t) => (t.tenants[1].cellId = "btea"), "tenants[1] (T-200).cellId: no cell 'btea' in cells; did you mean 'beta'?"],
    ["a tenant on a cell nothing like a real one", (t) => (t.tenants[1].cellId = "omega"), "tenants[1] (T-200).cellId: no cell 'omega' in cells (cells: alpha, beta, gamma)"],
    ["a duplicate tenantId", (t) => (t.tenants[1].tenantId = "T-100"), "tenants[1] (T-100).tenantId: duplicate tenantId 'T-100' (tenants[0] has it too)"],
    ["an invalid tenantId", (t) => (t.tenants[1].tenantId = "T 200"), "tenants[1] (T 200).tenantId: must match /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, got 'T 200'"],
    ["an unknown tenant status", (t) => (t.tenants[0].status = "readonly"), "tenants[0] (T-100).status: must be one of 'active', 'read_only', 'migrating', got 'readonly'; did you mean 'read_only'?"],
    ["a misspelled tenant field", (t) => (t.tenants[0].cell = "alpha"), "tenants[0] (T-100).cell: unknown field; did you mean 'cellId'?"],
    ["a misspelled top-level key", (t) => ((t.tenant = t.tenants), delete t.tenants), "tenant: unknown field; did you mean 'tenants'?"],
    ["no cells", (t) => (t.cells = []), "cells: must name at least one cell"],
    ["cells that are not a list", (t) => (t.cells = {}), "cells: must be an array, got {}"],
  ])("names the cell and the field for %s", (_case, change, expected) => {
    expect(lines(topology(change))).toContain(expected);
  });

  test("says wave 0 is missing when no cell is the canary, and nothing about gaps above it", () => {
    expect(lines(topology((t) => t.cells.forEach((c: any) => (c.wave += 1))))).toEqual(["cells: no cell is in wave 0, the canary wave; give one cell (the canary) wave: 0"]);
  });

  test("a problem in one field does not hide the others: every problem, one line each, in cell then field order", () => {
    const problems = lines(
      topology((t) => {
        t.cells[0].memorySizeMb = 1024;
        t.cells[0].timeoutSeconds = 0;
        t.cells[1].location = "eastuss";
        t.cells[2].region = "us-east-9";
        t.cells[2].cellId = "alpha";
        t.tenants[0].cellId = "nowhere";
      }),
    );
    expect(problems).toEqual([
      "cells[0] (alpha).timeoutSeconds: must be an integer from 1 to 29, got 0",
      "cells[0] (alpha).memorySizeMb: unknown field; did you mean 'memorySizeMiB'?",
      "cells[1] (beta).location: 'eastuss' is not an Azure location; did you mean 'eastus'?",
      "cells[2] (alpha).region: 'us-east-9' is not an AWS region; did you mean 'us-east-1'?",
      "cells[2] (alpha).cellId: duplicate cellId 'alpha' (cells[0] has it too); stack names and registry keys must be unique",
      "tenants[0] (T-100).cellId: no cell 'nowhere' in cells (cells: alpha, beta)",
    ]);
    for (const line of problems) expect(line).not.toMatch(/\n/);
  });

  test("a type error in a field gives one message, not a second one from a rule that spans fields", () => {
    expect(lines(topology((t) => (t.cells[2].region = 7)))).toEqual(["cells[2] (gamma).region: must be a string, got 7"]);
  });

  test("the escape hatch accepts a region newer than the list, if it looks like a region", () => {
    expect(lines(topology((t) => Object.assign(t.cells[2], { region: "eu-east-7", allowUnlistedRegion: true })))).toEqual([]);
    expect(lines(topology((t) => Object.assign(t.cells[1], { location: "marsnorth", allowUnlistedLocation: true })))).toEqual([]);
    expect(lines(topology((t) => Object.assign(t.cells[2], { region: "Mars", allowUnlistedRegion: true })))).toEqual([
      "cells[2] (gamma).region: 'Mars' does not look like an AWS region (/^[a-z]{2}(-gov)?-[a-z]+-\\d$/), even with allowUnlistedRegion",
    ]);
  });

  test("rejects what is not a topology at all", () => {
    expect(lines("cells")).toEqual(["a topology must be an object { cells, tenants }, got 'cells'"]);
    expect(lines({})).toEqual(["cells: is required", "tenants: is required"]);
  });
});

describe("loadTopology", () => {
  test("returns TOPOLOGY by default", () => {
    expect(loadTopology()).toBe(TOPOLOGY);
  });

  test("throws a TopologyError carrying every problem, its message one line per problem", () => {
    const bad = topology((t) => ((t.cells[2].region = "us-east-9"), (t.cells[1].wave = -1)));
    expect(() => loadTopology(bad)).toThrow(TopologyError);
    try {
      loadTopology(bad);
    } catch (error) {
      expect((error as TopologyError).problems).toHaveLength(2);
      expect((error as TopologyError).message.split("\n")).toEqual([
        "Invalid topology (2 problems):",
        "cells[1] (beta).wave: must be an integer of at least 0 (wave 0 is the canary wave), got -1",
        "cells[2] (gamma).region: 'us-east-9' is not an AWS region; did you mean 'us-east-1'?",
      ]);
    }
  });
});

describe("the region lists", () => {
  test("hold no duplicates, and every name has its cloud's shape", () => {
    expect(new Set(AWS_REGIONS).size).toBe(AWS_REGIONS.length);
    expect(new Set(AZURE_LOCATIONS).size).toBe(AZURE_LOCATIONS.length);
    expect(AWS_REGIONS.filter((r) => !AWS_REGION_PATTERN.test(r))).toEqual([]);
    expect(AZURE_LOCATIONS.filter((l) => !AZURE_LOCATION_PATTERN.test(l))).toEqual([]);
  });

  test("hold the places the deployed topology uses", () => {
    expect(AWS_REGIONS).toContain("us-east-1");
    expect(AZURE_LOCATIONS).toContain("eastus");
  });
});

describe("topology helpers", () => {
  const t = topology() as Topology;

  test("wavesOf groups cells by wave, canary first, topology order inside a wave", () => {
    expect(wavesOf(t).map((wave) => wave.map((c) => c.cellId))).toEqual([["alpha"], ["beta", "gamma"]]);
  });

  test("capacityOf falls back to the default of 100", () => {
    expect(capacityOf(t.cells[0]!)).toBe(100);
    expect(capacityOf({ ...t.cells[0]!, capacity: 7 })).toBe(7);
  });

  test("the deployed topology has alpha as the canary and beta in wave 1", () => {
    expect(TOPOLOGY.cells.map((c) => [c.cellId, c.wave])).toEqual([
      ["alpha", 0],
      ["beta", 1],
    ]);
  });
});
