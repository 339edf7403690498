/** The cell core: domain, ports and the platform-neutral HTTP API. No cloud SDK, no cdktf, no environment access. */
export * from "./errors";
export * from "./handler";
export * from "./idempotency";
export * from "./ports";
export * from "./record-service";
export * from "./records";
export * from "./request";
export * from "./verify";
export * from "./problems";
export * from "./system";
export * from "./settings";
