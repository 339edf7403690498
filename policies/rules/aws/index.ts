import type { PolicyRule } from "../../engine";
import { apiStageAccessLogs } from "./api-stage-access-logs";
import { apiStageThrottling } from "./api-stage-throttling";
import { dynamodbDeletionProtection } from "./dynamodb-deletion-protection";
import { dynamodbPitrEnabled } from "./dynamodb-pitr-enabled";
import { dynamodbSseEnabled } from "./dynamodb-sse-enabled";
import { iamDynamodbOwnTables } from "./iam-dynamodb-own-tables";
import { iamManagedPolicyAllowlist } from "./iam-managed-policy-allowlist";
import { iamNoWildcardActions } from "./iam-no-wildcard-actions";
import { iamRoleNoExclusivePolicies } from "./iam-role-no-exclusive-policies";
import { lambdaEnvironmentNoSecrets } from "./lambda-environment-no-secrets";
import { lambdaNoFunctionUrl } from "./lambda-no-function-url";
import { lambdaPermissionScoped } from "./lambda-permission-scoped";
import { lambdaStructuredLogs } from "./lambda-structured-logs";
import { lambdaTracingActive } from "./lambda-tracing-active";
import { logGroupRetention } from "./log-group-retention";

/** Rules for AWS resources, one file each in this folder. */
export const AWS_RULES: readonly PolicyRule[] = [
  dynamodbPitrEnabled,
  dynamodbSseEnabled,
  dynamodbDeletionProtection,
  lambdaNoFunctionUrl,
  lambdaTracingActive,
  lambdaEnvironmentNoSecrets,
  lambdaPermissionScoped,
  lambdaStructuredLogs,
  iamNoWildcardActions,
  iamDynamodbOwnTables,
  iamRoleNoExclusivePolicies,
  iamManagedPolicyAllowlist,
  logGroupRetention,
  apiStageAccessLogs,
  apiStageThrottling,
];
