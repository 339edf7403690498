/**
 * Helpers for infra tests over the synthesized Terraform JSON.
 */

/** Parses `Testing.synth` output. */
export const parseSynth = (synth: string): any => JSON.parse(synth);

/** All resources of `type` in a synthesized stack, as [name, config] pairs. */
export function resourcesOf(synth: string, type: string): Array<[string, any]> {
  return Object.entries(parseSynth(synth).resource?.[type] ?? {});
}

/**
 * Masks what changes whenever runtime code changes (asset hashes and paths, code hashes, the Azure
 * cell's package-hash app setting and package blob name), so a stack snapshot guards the
 * infrastructure's shape, not the bundle's bytes.
 * Dedicated tests check that those values are wired and change with the code.
 */
export function forSnapshot(synth: string): unknown {
  const masked = synth
    .replace(/assets\/[^"\\]+/g, "<asset>")
    .replace(/("(?:source_code_hash|content_sha256|CELL_PACKAGE_SHA256)"\s*:\s*)"[^"]*"/g, '$1"<hash>"')
    // The Azure package's content-addressed blob name (stagedPackageBlobName).
    .replace(/(azure-cell-function-)[0-9a-f]{64}/g, "$1<hash>");
  return JSON.parse(masked);
}
