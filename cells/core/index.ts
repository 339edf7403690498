/** The cell core: domain, ports and the platform-neutral HTTP API. No cloud SDK, no cdktf, no environment access. */
export * from "./admin-service";
export * from "./answer";
export * from "./digest";
export * from "./errors";
export * from "./handler";
export * from "./json-body";
export * from "./key-sources";
export * from "./keyed-write";
export * from "./ownership-rules";
export * from "./ports";
export * from "./problems";
export * from "./record-service";
export * from "./records";
export * from "./request";
export * from "./settings";
export * from "./system";
export * from "./verify";
