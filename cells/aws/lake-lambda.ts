import { lazyAwsLakeHandler } from "./lake-consumer";

/**
 * The lake consumer's Lambda entry (`AWS_LAKE_LAMBDA_ENTRY`), invoked by the event source mapping on
 * the cell table's stream. The only file of the consumer that reads `process.env`.
 */
export const handler = lazyAwsLakeHandler(() => process.env);
