import { block, type PolicyRule } from "../../engine";

/** Point-in-time recovery keeps 35 days of continuous backups: a bad deploy or a bad write can be undone. */
export const dynamodbPitrEnabled: PolicyRule = {
  id: "AWS-DDB-1",
  description: "DynamoDB tables have point-in-time recovery enabled.",
  resourceType: "aws_dynamodb_table",
  check(resource) {
    return block(resource.point_in_time_recovery)?.enabled === true ? undefined : "point_in_time_recovery.enabled must be true";
  },
};
