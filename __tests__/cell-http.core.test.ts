import { describeCellHttpContract } from "./contracts/cell-http.contract";
import { coreCell } from "./support/core-cell";
import { bytes } from "./support/signing";

describeCellHttpContract("core handler (no platform)", async () => {
  const { handler, key, adminKey } = coreCell({ cellId: "alpha", cloud: "aws" });
  return {
    cellId: "alpha",
    cloud: "aws",
    key,
    adminKey,
    send: async (spec) => {
      const headers = Object.fromEntries(Object.entries(spec.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      return handler({ method: spec.method, path: spec.path, query: spec.query ?? "", headers, body: bytes(spec.body) });
    },
    close: async () => {},
  };
});
