import { block, type PolicyRule } from "../../engine";
import { blocks } from "./s3-bucket-related";

/** A DynamoDB stream's ARN as an event source: a reference to a table's `stream_arn`, or a literal stream ARN. */
const DYNAMODB_STREAM = /\.stream_arn\}|:dynamodb:[^:]*:[^:]*:table\/[^/]+\/stream\//;

/**
 * A stream mapping must not let one bad batch block its shard until the records expire (24 hours),
 * and must not drop a batch silently: failed batches are split (bisect) to isolate the bad record,
 * retried a bounded number of times, then described on an on-failure destination. A filter keeps the
 * function from being invoked for changes it does not consume.
 */
export const streamMappingFailureHandling: PolicyRule = {
  id: "AWS-ESM-1",
  description: "Event source mappings on DynamoDB streams filter records, bisect failed batches, bound their retries and name an on-failure destination.",
  resourceType: "aws_lambda_event_source_mapping",
  check(resource) {
    if (!DYNAMODB_STREAM.test(String(resource.event_source_arn ?? ""))) return undefined;
    const problems: string[] = [];
    if (resource.bisect_batch_on_function_error !== true) problems.push("bisect_batch_on_function_error must be true");
    const retries = resource.maximum_retry_attempts;
    if (!(typeof retries === "number" && retries >= 0 && retries <= 10_000)) problems.push(`maximum_retry_attempts must be 0 to 10000 (unset or -1 retries until the records expire), got ${JSON.stringify(retries)}`);
    const destination = block(block(resource.destination_config)?.on_failure)?.destination_arn;
    if (typeof destination !== "string" || destination === "") problems.push("destination_config.on_failure.destination_arn must name a queue or topic");
    if (blocks(block(resource.filter_criteria)?.filter).length === 0) problems.push("filter_criteria must hold at least one filter");
    return problems.length === 0 ? undefined : problems.join("; ");
  },
};
