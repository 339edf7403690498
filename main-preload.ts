/**
 * Imported first by `main.ts`, before cdktf and the providers load. cdktf records a stack trace for
 * every token it creates, and with source maps on (tsx turns them on) node maps each frame back to
 * the TypeScript source and caches a source map for every module it loads: about 0.1 s of a synth.
 * Only a stack trace printed with `--debug` needs them, so they stay on for that alone.
 */
if (!process.argv.includes("--debug")) process.setSourceMapsEnabled(false);
