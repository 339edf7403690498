import type { BundleSpec } from "../constructs/bundling";

/**
 * How the Worker is bundled: one ES module for workerd, minified by `bundle()`. The edge stack uploads
 * `bundle(ROUTER_BUNDLE).file` as the script's main module, and the router tests run that same file in
 * Miniflare, so what is tested is what is deployed. `platform: "neutral"` keeps Node built-ins out:
 * the router may use only what workerd offers (Fetch API, Web Crypto, streams).
 */
export const ROUTER_BUNDLE: BundleSpec = {
  name: "edge-router",
  entry: "router/worker.ts",
  platform: "neutral",
  format: "esm",
  outFile: "worker.js",
};
