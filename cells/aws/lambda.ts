import { lazyAwsCellHandler } from "./composition";

/**
 * The AWS cell's Lambda entry (`AWS_LAMBDA_ENTRY`), invoked by API Gateway HTTP API with payload
 * format 2.0. The only file of the cell that reads `process.env`; the composition root builds the cell
 * from it once per container, on the first invocation.
 */
export const handler = lazyAwsCellHandler(() => process.env);
