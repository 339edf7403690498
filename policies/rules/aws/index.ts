import type { PolicyRule } from "../../engine";
import { apiStageAccessLogs } from "./api-stage-access-logs";
import { apiStageThrottling } from "./api-stage-throttling";
import { dynamodbDeletionProtection } from "./dynamodb-deletion-protection";
import { dynamodbPitrEnabled } from "./dynamodb-pitr-enabled";
import { dynamodbSseEnabled } from "./dynamodb-sse-enabled";
import { iamDynamodbOwnStreams } from "./iam-dynamodb-own-streams";
import { iamDynamodbOwnTables } from "./iam-dynamodb-own-tables";
import { iamManagedPolicyAllowlist } from "./iam-managed-policy-allowlist";
import { iamNoWildcardActions } from "./iam-no-wildcard-actions";
import { iamRoleNoExclusivePolicies } from "./iam-role-no-exclusive-policies";
import { iamS3OwnBuckets } from "./iam-s3-own-buckets";
import { iamStreamConsumerWrites } from "./iam-stream-consumer-writes";
import { lambdaEnvironmentNoSecrets } from "./lambda-environment-no-secrets";
import { lambdaNoFunctionUrl } from "./lambda-no-function-url";
import { lambdaPermissionScoped } from "./lambda-permission-scoped";
import { lambdaStructuredLogs } from "./lambda-structured-logs";
import { lambdaTracingActive } from "./lambda-tracing-active";
import { logGroupRetention } from "./log-group-retention";
import { s3AclsDisabled } from "./s3-acls-disabled";
import { s3Encrypted } from "./s3-encrypted";
import { s3LifecycleExpiry } from "./s3-lifecycle-expiry";
import { s3PublicAccessBlocked } from "./s3-public-access-blocked";
import { s3TlsOnly } from "./s3-tls-only";
import { s3Versioning } from "./s3-versioning";
import { sqsEncrypted } from "./sqs-encrypted";
import { streamMappingFailureHandling } from "./stream-mapping-failure-handling";

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
  iamDynamodbOwnStreams,
  iamS3OwnBuckets,
  s3PublicAccessBlocked,
  s3Encrypted,
  s3TlsOnly,
  s3LifecycleExpiry,
  s3Versioning,
  s3AclsDisabled,
  sqsEncrypted,
  streamMappingFailureHandling,
  iamStreamConsumerWrites,
];
