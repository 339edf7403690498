/** The wire contract between edge router and cells. Pure TypeScript and Web Crypto: no Node, no SDKs. */
export * from "./headers";
export * from "./ids";
export * from "./limits";
export * from "./problem";
export * from "./registry";
export * from "./result";
export * from "./signing";
