import { lazyAwsStandbyHandler } from "./standby-consumer";

/**
 * The standby replication consumer's Lambda entry (`AWS_STANDBY_LAMBDA_ENTRY`), invoked by the event
 * source mapping on the cell table's stream and by the sweep's schedule. The only file of the
 * consumer that reads `process.env`.
 */
export const handler = lazyAwsStandbyHandler(() => process.env);
