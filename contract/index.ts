/** The wire contract between edge router, cells and control plane. Pure TypeScript and Web Crypto: no Node, no SDKs. */
export * from "./admin";
export * from "./cell-health";
export * from "./change-event";
export * from "./edge-health";
export * from "./health-window";
export * from "./headers";
export * from "./http";
export * from "./ids";
export * from "./limits";
export * from "./ownership";
export * from "./problem";
export * from "./registry";
export * from "./replication";
export * from "./result";
export * from "./signing";
