import type { PolicyRule } from "../../engine";

/** A cell's table holds its tenants' data: DynamoDB must refuse to delete it, whatever a plan says. */
export const dynamodbDeletionProtection: PolicyRule = {
  id: "AWS-DDB-3",
  description: "DynamoDB tables have deletion protection enabled.",
  resourceType: "aws_dynamodb_table",
  check(resource) {
    return resource.deletion_protection_enabled === true ? undefined : "deletion_protection_enabled must be true (suppress with a reason for throwaway cells)";
  },
};
