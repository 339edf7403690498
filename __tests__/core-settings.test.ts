import { SettingsReader } from "../cells/core";

/** How each cell's composition root reads its settings: every problem collected, empty means unset. */
describe("cell settings", () => {
  test("required values: present, or a problem and an empty string", () => {
    const reader = new SettingsReader({ A: "x", EMPTY: "" });
    expect([reader.required("A"), reader.required("EMPTY"), reader.required("MISSING")]).toEqual(["x", "", ""]);
    expect(reader.problems).toEqual(["EMPTY is not set", "MISSING is not set"]);
    expect([reader.read("A"), reader.read("EMPTY"), reader.read("MISSING")]).toEqual(["x", undefined, undefined]);
  });

  test("ids are checked against their patterns, and the message shows the value", () => {
    const reader = new SettingsReader({ CELL: "alpha", BAD_CELL: "Alpha", KEY: "alpha-v1", BAD_KEY: "Alpha V1" });
    expect([reader.cellId("CELL"), reader.keyId("KEY"), reader.cellId("BAD_CELL"), reader.keyId("BAD_KEY"), reader.cellId("NONE")]).toEqual(["alpha", "alpha-v1", "Alpha", "Alpha V1", ""]);
    expect(reader.problems).toEqual([
      "BAD_CELL must match /^[a-z][a-z0-9-]{1,20}$/, got 'Alpha'",
      "BAD_KEY must match /^[a-z0-9][a-z0-9._-]{0,63}$/, got 'Alpha V1'",
      "NONE is not set",
    ]);
  });

  test.each<[string | undefined, number, string | undefined]>([
    [undefined, 7, undefined],
    ["", 7, undefined],
    ["1", 1, undefined],
    ["100", 100, undefined],
    ["0", 7, "N must be an integer from 1 to 100, got '0'"],
    ["101", 7, "N must be an integer from 1 to 100, got '101'"],
    ["12x", 7, "N must be an integer from 1 to 100, got '12x'"],
    ["x12", 7, "N must be an integer from 1 to 100, got 'x12'"],
    [" 12", 7, "N must be an integer from 1 to 100, got ' 12'"],
    ["1.5", 7, "N must be an integer from 1 to 100, got '1.5'"],
    ["0x10", 7, "N must be an integer from 1 to 100, got '0x10'"],
    ["1234567890", 7, "N must be an integer from 1 to 100, got '1234567890'"],
  ])("integer %p reads as %s", (raw, value, problem) => {
    const reader = new SettingsReader({ N: raw });
    expect(reader.integer("N", 7, 1, 100)).toBe(value);
    expect(reader.problems).toEqual(problem === undefined ? [] : [problem]);
  });
});
