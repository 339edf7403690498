import { Testing } from "cdktf";
import { readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { defineStacks, type AppOptions } from "../../stacks/app";
import { LOCAL_BACKEND } from "../../stacks/backend";
import { TOPOLOGY, type Topology } from "../../topology";

export interface SynthesizedApp {
  /** Stack name -> parsed cdk.tf.json. */
  readonly stacks: Record<string, any>;
  /** Stack name -> raw cdk.tf.json text. */
  readonly raw: Record<string, string>;
  readonly manifest: any;
  /** Reads a file of the synthesized output (an asset, say), relative to the stack's folder. */
  readFromStack(stack: string, relative: string): Buffer;
}

/**
 * Synthesizes a whole app (every cell stack and the edge stack) the way `main.ts` does, into a
 * temporary folder that is removed afterwards. A full app synth is what wires cross-stack references.
 */
export function synthApp(topology: Topology = TOPOLOGY, options: Partial<AppOptions> = {}): SynthesizedApp {
  const app = Testing.app();
  try {
    defineStacks(app, topology, { backend: LOCAL_BACKEND, ...options });
    app.synth();
    const manifest = JSON.parse(readFileSync(path.join(app.outdir, "manifest.json"), "utf8"));
    const raw: Record<string, string> = {};
    const files: Record<string, Buffer> = {};
    for (const [name, stack] of Object.entries<any>(manifest.stacks)) {
      raw[name] = readFileSync(path.join(app.outdir, stack.synthesizedStackPath), "utf8");
      const json = JSON.parse(raw[name]!);
      for (const script of Object.values<any>(json.resource?.cloudflare_workers_script ?? {})) {
        files[`${name}/${script.content_file}`] = readFileSync(path.join(app.outdir, stack.workingDirectory, script.content_file));
      }
    }
    const stacks = Object.fromEntries(Object.entries(raw).map(([name, text]) => [name, JSON.parse(text)]));
    return {
      stacks,
      raw,
      manifest,
      readFromStack: (stack, relative) => {
        const file = files[`${stack}/${relative}`];
        if (!file) throw new Error(`no file ${relative} captured for stack ${stack}`);
        return file;
      },
    };
  } finally {
    rmSync(app.outdir, { recursive: true, force: true });
  }
}
