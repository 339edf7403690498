import { App } from "cdktf";
import { backendFromEnv } from "./stacks/backend";
import { defineStacks } from "./stacks/app";
import { TOPOLOGY } from "./topology";

/**
 * The app: the topology in `topology.ts` as stacks (`cell-alpha`, `cell-beta`, ..., `edge`).
 * The only place that reads environment variables (the state backend choice; see README).
 */
const app = new App();
defineStacks(app, TOPOLOGY, { backend: backendFromEnv(process.env) });
app.synth();
