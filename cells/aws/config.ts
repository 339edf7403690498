/**
 * The AWS cell's deployment interface: the Lambda's environment variable names, its bundle entry and
 * the DynamoDB key schema. Shared by the runtime (composition root, store adapters) and by the
 * `AwsCell` construct that sets them, so the two cannot drift. Constants only: no SDK imports here.
 */
export const AWS_CELL_ENV = {
  cellId: "CELL_ID",
  tableName: "TABLE_NAME",
  signingKeyId: "SIGNING_KEY_ID",
  /** ARN of the Secrets Manager secret holding the signing secret (in the cloud). */
  signingSecretArn: "SIGNING_SECRET_ARN",
  /** The signing secret itself: local sandbox and tests only, never set by the construct. */
  signingSecret: "SIGNING_SECRET",
  /** Id of the cell's admin key (`<cellId>-admin-v<n>`): the key `cellctl` signs admin API calls with. */
  adminKeyId: "ADMIN_KEY_ID",
  /** ARN of the Secrets Manager secret holding the admin secret (in the cloud). */
  adminSecretArn: "ADMIN_SECRET_ARN",
  /** The admin secret itself: local sandbox and tests only, never set by the construct. */
  adminSecret: "ADMIN_SECRET",
  /** How long one store call may take before the cell gives up on it (ms, per attempt); unset: the default. */
  storeTimeoutMs: "STORE_TIMEOUT_MS",
  /** DynamoDB endpoint override: local sandbox and tests only (DynamoDB Local). */
  dynamodbEndpoint: "DYNAMODB_ENDPOINT",
} as const;

/** Lambda bundle entry, relative to the repository root; exports `handler`. */
export const AWS_LAMBDA_ENTRY = "cells/aws/lambda.ts";

/**
 * Single-table design: string partition and sort keys, TTL in epoch seconds, and a sparse global
 * secondary index over the ownership items only (the admin API lists the tenants a cell holds with
 * one Query instead of a Scan of every record).
 */
export const TABLE_SCHEMA = {
  partitionKey: "pk",
  sortKey: "sk",
  ttlAttribute: "expiresAt",
  ownershipIndex: {
    name: "ownership",
    /** Set (to `"O"`) on ownership items only, so the index holds nothing else. */
    partitionKey: "ownershipIndex",
    sortKey: "tenantId",
  },
} as const;

/** The cell's DynamoDB table name: derived from the cell id only, so it is stable API (renaming it loses data). */
export const awsCellTableName = (cellId: string): string => `cells-${cellId}-records`;

/** Sort-key prefix of the tenant's outbox entries (`C#<committed at>#<record>#<version>`, see the DynamoDB store). */
export const OUTBOX_SORT_KEY_PREFIX = "C#";

/**
 * The reporting lake's consumer (`AwsCellProps.lake`): a second Lambda on the table's stream that lands
 * every outbox entry in the cell's lake bucket. Its environment variable names and bundle entry.
 */
export const AWS_LAKE_ENV = {
  cellId: "CELL_ID",
  /** The lake bucket's name. */
  bucket: "LAKE_BUCKET",
} as const;

/** The lake consumer's Lambda entry, relative to the repository root; exports `handler`. */
export const AWS_LAKE_LAMBDA_ENTRY = "cells/aws/lake-lambda.ts";

/**
 * The event source mapping's filter (Lambda event filtering syntax): only new outbox items reach the
 * consumer. Records, ownership, keyed answers and nonces are other sort keys; TTL expiry and purges are
 * `REMOVE` events. The local stream pump applies the same rule (`isOutboxInsert`).
 */
export const LAKE_STREAM_FILTER = {
  eventName: ["INSERT"],
  dynamodb: { Keys: { [TABLE_SCHEMA.sortKey]: { S: [{ prefix: OUTBOX_SORT_KEY_PREFIX }] } } },
} as const;

/**
 * The standby replication consumer (`AwsCellProps.standby`): a Lambda on the table's stream (the same
 * filter as the lake: new outbox items) and on a schedule (the sweep), which pushes each linked
 * tenant's changes to its standby cell. It reads the cell's table with the cell's own variable names
 * (`CELL_ID`, `TABLE_NAME`, `STORE_TIMEOUT_MS`) and the timing settings of `STANDBY_TIMING_ENV`.
 */
export const AWS_STANDBY_LAMBDA_ENTRY = "cells/aws/standby-lambda.ts";

/** The filter of the standby consumer's stream mapping: the lake's (new outbox items only). */
export const STANDBY_STREAM_FILTER = LAKE_STREAM_FILTER;
