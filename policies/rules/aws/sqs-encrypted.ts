import type { PolicyRule } from "../../engine";

/** A queue's messages (here: which stream records failed) are encrypted at rest, by SQS or a KMS key. */
export const sqsEncrypted: PolicyRule = {
  id: "AWS-SQS-1",
  description: "SQS queues are encrypted at rest (sqs_managed_sse_enabled or a kms_master_key_id).",
  resourceType: "aws_sqs_queue",
  check(resource) {
    if (resource.sqs_managed_sse_enabled === true) return undefined;
    if (typeof resource.kms_master_key_id === "string" && resource.kms_master_key_id !== "") return undefined;
    return "set sqs_managed_sse_enabled = true or a kms_master_key_id";
  },
};
