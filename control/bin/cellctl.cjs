#!/usr/bin/env node
// `npx cellctl` (package.json "bin"): runs the TypeScript entry through tsx, like `npm run cellctl`.
require("tsx/cjs/api").register();
require("../cellctl-main.ts");
