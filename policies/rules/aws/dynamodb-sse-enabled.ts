import { block, type PolicyRule } from "../../engine";

/** Server-side encryption with a KMS key (AWS managed or customer managed), whose use CloudTrail records. */
export const dynamodbSseEnabled: PolicyRule = {
  id: "AWS-DDB-2",
  description: "DynamoDB tables have KMS server-side encryption enabled.",
  resourceType: "aws_dynamodb_table",
  check(resource) {
    return block(resource.server_side_encryption)?.enabled === true ? undefined : "server_side_encryption.enabled must be true";
  },
};
