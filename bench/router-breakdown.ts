import { readFileSync } from "node:fs";
import { Miniflare } from "miniflare";
import { bundle, type BundleSpec } from "../constructs/bundling";
import { ROUTER_COMPATIBILITY_DATE } from "../router/bundle-spec";
import { startLocalIssuer } from "../sandbox/issuer";
import { formatTable, round } from "./table";

/**
 * Where the router's time goes, measured inside workerd: each of its operations (signing, key import,
 * token verification, body copies, the log line, and the whole routing logic with every I/O answered
 * in memory) run n times by `bench/router-ops-worker.ts` in Miniflare, timed with workerd's own clock.
 * What is left of the measured overhead after these is the network hop and workerd's HTTP handling,
 * which the overhead section's pass-through path measures.
 */

/** The benchmark Worker, bundled like the router (one ES module for workerd). */
const OPS_BUNDLE: BundleSpec = { name: "bench-router-ops", entry: "bench/router-ops-worker.ts", platform: "neutral", format: "esm", outFile: "worker.js" };

/** Each operation is timed this many times and the fastest counts: on a shared machine the fastest run is the one least disturbed. */
export const RUNS = 3;

/** The operations, what each stands for, and how many runs give a stable figure. */
export const OPS: ReadonlyArray<{ readonly op: string; readonly what: string; readonly n: number }> = [
  { op: "route-auth-off", what: "whole routing logic, auth off (registry and cell answered in memory)", n: 2000 },
  { op: "route-auth-on", what: "whole routing logic, ES256 token verified every time", n: 2000 },
  { op: "route-auth-on-remembered", what: "whole routing logic, ES256 token (verified once, then remembered)", n: 2000 },
  { op: "verify-es256", what: "token verification, ES256, keys cached", n: 2000 },
  { op: "verify-es256-remembered", what: "token check of a token verified before (rememberVerified)", n: 2000 },
  { op: "verify-rs256", what: "token verification, RS256, keys cached", n: 2000 },
  { op: "verify-es256-cold-keys", what: "token verification with a fresh key set (key import included)", n: 500 },
  { op: "sign-headers", what: "request signature headers (HMAC key import, body hash, canonical string, HMAC)", n: 2000 },
  { op: "signature-only", what: "computeSignature alone (import + canonical string + HMAC)", n: 2000 },
  { op: "hmac-import-key", what: "HMAC key import alone", n: 2000 },
  { op: "hmac-sign-imported-key", what: "HMAC over the canonical string with an imported key", n: 2000 },
  { op: "sha256-empty", what: "SHA-256 of an empty body", n: 2000 },
  { op: "sha256-4k", what: "SHA-256 of a 4 KiB body", n: 2000 },
  { op: "sha256-256k", what: "SHA-256 of a 256 KiB body", n: 200 },
  { op: "read-body-4k", what: "reading a 4 KiB body as a stream, counting bytes (readBody)", n: 2000 },
  { op: "read-body-256k", what: "reading a 256 KiB body as a stream, counting bytes (readBody)", n: 200 },
  { op: "read-body-256k-native", what: "the same body in one native arrayBuffer() read", n: 200 },
  { op: "read-body-256k-js-chunks", what: "readBody of 256 KiB made of 16 KiB chunks produced in JavaScript", n: 200 },
  { op: "forwardable-headers", what: "filtering the client's headers", n: 2000 },
  { op: "log-line-format", what: "building the JSON log line", n: 2000 },
  { op: "console-log", what: "console.log of the log line (to workerd's stdout)", n: 2000 },
];

export interface OpResult {
  readonly op: string;
  readonly what: string;
  readonly n: number;
  readonly usPerOp: number;
}

export async function runRouterBreakdown(log: (line: string) => void): Promise<OpResult[]> {
  log("router: per-operation costs inside workerd");
  const issuer = await startLocalIssuer();
  const mf = new Miniflare({ modules: true, script: readFileSync(bundle(OPS_BUNDLE).file, "utf8"), compatibilityDate: ROUTER_COMPATIBILITY_DATE, handleStructuredLogs: () => undefined });
  try {
    const jwks = await (await fetch(issuer.jwksUrl)).json();
    const inputs = { jwks, issuer: issuer.issuer, audience: issuer.audience, tokens: { ES256: issuer.mint("T-100", { alg: "ES256" }), RS256: issuer.mint("T-100", { alg: "RS256" }) } };
    const results: OpResult[] = [];
    for (const { op, what, n } of OPS) {
      const runs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const response = await mf.dispatchFetch(`http://ops.test/${op}?n=${n}`, { method: "POST", body: JSON.stringify(inputs) });
        const answer = (await response.json()) as { usPerOp?: number; error?: string };
        if (answer.usPerOp === undefined) throw new Error(`op ${op} failed: ${answer.error ?? response.status}`);
        runs.push(answer.usPerOp);
      }
      results.push({ op, what, n, usPerOp: Math.min(...runs) });
    }
    return results;
  } finally {
    await mf.dispose();
    await issuer.close();
  }
}

export function formatRouterBreakdown(results: readonly OpResult[]): string {
  return formatTable<OpResult>(
    [
      { header: "operation in workerd", value: (r) => r.what, align: "left" },
      { header: "runs", value: (r) => r.n },
      { header: `µs each (fastest of ${RUNS})`, value: (r) => round(r.usPerOp, 1) },
    ],
    results,
  );
}
