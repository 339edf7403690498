import { startLocalCell } from "../sandbox/local-cells";
import { startSandbox } from "../sandbox/sandbox";
import { TopologyError } from "../topology-schema";

jest.mock("../sandbox/local-cells", () => ({ startLocalCell: jest.fn() }));

describe("the sandbox checks the topology as synth does", () => {
  test("a topology with mistakes is refused before anything starts, every problem named", async () => {
    const bad = {
      cells: [
        { cloud: "aws", cellId: "alpha", region: "us-east-9", wave: 0 },
        { cloud: "gcp", cellId: "beta", wave: 1 },
      ],
      tenants: [{ tenantId: "T-1", cellId: "alpha" }],
    };
    const failure = await startSandbox({ topology: bad as never, routerPort: 0 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TopologyError);
    expect((failure as TopologyError).message.split("\n")).toEqual([
      "Invalid topology (2 problems):",
      "cells[0] (alpha).region: 'us-east-9' is not an AWS region; did you mean 'us-east-1'?",
      "cells[1] (beta).cloud: must be 'aws' or 'azure' (the clouds this repo deploys cells to), got 'gcp'",
    ]);
    expect(startLocalCell).not.toHaveBeenCalled();
  });
});
