import { readFileSync, writeFileSync } from "node:fs";
import { emit, type Io } from "../cli/output";
import { CliError, ControlPlane } from "../control-plane";

/** `cellctl registry export [--out file]`: the whole live registry as JSON (stdout by default). */
export async function registryExportCommand(plane: ControlPlane, io: Io, options: { out?: string }): Promise<number> {
  const backup = await plane.registry.export();
  const text = `${JSON.stringify(backup, null, 2)}\n`;
  if (options.out) {
    writeFileSync(options.out, text, { mode: 0o600 });
    io.err(`wrote ${backup.entries.length} entries from ${backup.source} to ${options.out}`);
  } else {
    io.out(text);
  }
  return 0;
}

/** `cellctl registry import <file> [--dry-run]`: checks every entry with the contract's parsers, then restores them. */
export async function registryImportCommand(plane: ControlPlane, io: Io, file: string, options: { dryRun?: boolean }): Promise<number> {
  let backup: unknown;
  try {
    backup = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CliError(`cannot read ${file} as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = await plane.registry.import(backup, options.dryRun ?? false);
  if (result.problems.length > 0) throw new CliError(`${file} was not imported; fix these first:\n${result.problems.map((p) => `  - ${p}`).join("\n")}`);
  const entries = (backup as { entries: unknown[] }).entries.length;
  emit(io, { file, entries, written: result.written, dry_run: options.dryRun ?? false }, (d) =>
    d.dry_run ? `${d.file}: ${d.entries} entries are valid; nothing written (--dry-run)` : `restored ${d.written} entries from ${d.file} into ${plane.registry.store.description}`,
  );
  return 0;
}
