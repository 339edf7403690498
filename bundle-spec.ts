/**
 * How one runtime is bundled. A neutral module, types only: `constructs/bundling.ts` builds bundles
 * from it, and `router/bundle-spec.ts` declares the Worker's own without importing from
 * `constructs/` (dependencies point one way: the router never reaches up into the constructs).
 */
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
  /** Also write a deterministic zip of the folder (`Bundle.zipFile`), for code shipped as a package. */
  readonly archive?: boolean;
}
