import type { BundleSpec } from "../bundle-spec";

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

/**
 * The workerd compatibility date the Worker is tested and deployed with (Miniflare in the tests and
 * the sandbox, `compatibility_date` on the deployed script), so both run the same runtime behaviour.
 */
export const ROUTER_COMPATIBILITY_DATE = "2025-09-01";
