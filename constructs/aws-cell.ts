import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Password } from "@cdktf/provider-random/lib/password";
import { AssetType, TerraformAsset, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { AWS_CELL_ENV, AWS_LAMBDA_ENTRY, TABLE_SCHEMA, awsCellTableName } from "../cells/aws/config";
import type { Cloud } from "../contract";
import { AwsLake, resolveAwsLakeProps, type AwsCellLakeProps, type ResolvedAwsLakeProps } from "./aws-lake";
import { AwsStandby, resolveAwsStandbyProps, type AwsCellStandbyProps, type ResolvedAwsStandbyProps } from "./aws-standby";
import { bundle, packageOf, type Bundle, type BundleSpec } from "./bundling";
import type { ICell } from "./cell";
import { AWS_CELL_PROPS, type AwsCellArchitecture, type AwsCellLambdaRuntime } from "./props/aws-cell-props";
import { assertValidProps } from "./props/problems";

// The props' rules and their value lists live in constructs/props/ (zod, no providers), where the
// topology check reads them too; re-exported here for the construct's users.
export { AWS_REGION_PATTERN } from "./props/regions";
export * from "./props/aws-cell-props";

/**
 * The only DynamoDB actions the cell's function may call, on its own table and its ownership index
 * only: what the store adapter in `cells/aws/` uses. Reads and conditional puts (each record change
 * is a `TransactWriteItems`, which DynamoDB authorises per item as `PutItem` and `ConditionCheckItem`),
 * queries within a tenant's partition and on the sparse ownership index (the admin API's tenant list),
 * and `BatchWriteItem` for the admin purge of a moved tenant. No Scan, no PartiQL, no table
 * management, no stream reads.
 */
export const AWS_CELL_TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:Query",
  "dynamodb:ConditionCheckItem",
  "dynamodb:BatchWriteItem",
] as const;

/** How the Lambda bundle is built; shared with tests that compare the deployed code hash. */
export const AWS_CELL_BUNDLE: BundleSpec = {
  name: "aws-cell-lambda",
  entry: AWS_LAMBDA_ENTRY,
  platform: "node",
  format: "cjs",
  outFile: "index.js",
  // The Node.js runtimes ship AWS SDK v3; bundling it would only grow the cold start.
  external: ["@aws-sdk/*"],
  archive: true,
};

/** Configuration of one AWS cell. Only `cellId` and `region` are required. */
export interface AwsCellProps {
  /**
   * Stable id of the cell, e.g. `alpha`: names its resources (`cells-<cellId>-records`), its
   * registry entry and its signing key. Changing it replaces every resource, the table included.
   */
  readonly cellId: string;
  /**
   * AWS region the cell runs in, e.g. `eu-west-1`: one of `AWS_REGIONS` (constructs/props/regions.ts).
   * Must be the region of the stack's provider.
   */
  readonly region: string;
  /**
   * Accept a `region` that is not in `AWS_REGIONS` yet (a region newer than the list) as long as it
   * looks like one. Add the region to the list in a later change and drop this flag.
   * @default false
   */
  readonly allowUnlistedRegion?: boolean;
  /**
   * Node.js runtime of the function.
   * @default "nodejs22.x"
   */
  readonly lambdaRuntime?: AwsCellLambdaRuntime;
  /**
   * Instruction set of the function.
   * @default "arm64" - Graviton: cheaper per GB-second than x86_64
   */
  readonly architecture?: AwsCellArchitecture;
  /**
   * Memory of the function in MiB (128 to 10240); CPU scales with it.
   * @default 512
   */
  readonly memorySizeMiB?: number;
  /**
   * Function timeout in seconds (1 to 29: API Gateway ends the integration after 30 s).
   * @default 10
   */
  readonly timeoutSeconds?: number;
  /**
   * How long the function's logs and the API's access logs are kept, in days; one of CloudWatch's
   * allowed values (`LOG_RETENTION_DAYS`).
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Steady-state request rate the API stage allows, in requests per second.
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Largest burst of requests the API stage allows above the rate limit.
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Concurrent executions reserved for (and capping) the function.
   * @default - no reservation: the function uses the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  /**
   * Version of the cell's signing key, an integer from 1. The key id is `<cellId>-v<version>`;
   * bumping the version generates a new secret (rotation).
   * @default 1
   */
  readonly signingKeyVersion?: number;
  /**
   * Version of the cell's admin key (the key the operator's `cellctl` signs admin API calls with; the
   * router never holds it), an integer from 1. The key id is `<cellId>-admin-v<version>`; bumping the
   * version generates a new secret (rotation).
   * @default 1
   */
  readonly adminKeyVersion?: number;
  /**
   * Whether DynamoDB refuses to delete the table. Turn off only for throwaway cells.
   * @default true
   */
  readonly tableDeletionProtection?: boolean;
  /**
   * The reporting lake: a consumer of the table's stream that lands every committed change in an S3
   * bucket of the cell's own (see `AwsLake`). `{}` turns it on with its defaults.
   * @default - no lake
   */
  readonly lake?: AwsCellLakeProps;
  /**
   * Standby replication: a consumer of the table's stream (and a sweep once a minute) that keeps each
   * tenant's standby cell, set up with `cellctl standby`, up to date (see `AwsStandby`). `{}` turns it
   * on with its defaults; a cell without it cannot be the primary of a tenant with a standby.
   * @default - no standby replication
   */
  readonly standby?: AwsCellStandbyProps;
}

/** `AwsCellProps` with every default filled in. */
export type ResolvedAwsCellProps = Required<Omit<AwsCellProps, "reservedConcurrency" | "allowUnlistedRegion" | "lake" | "standby">> &
  Pick<AwsCellProps, "reservedConcurrency"> & { readonly lake?: ResolvedAwsLakeProps; readonly standby?: ResolvedAwsStandbyProps };

/** The defaults `AwsCell` applies to props the caller leaves out. */
export const AWS_CELL_DEFAULTS = {
  lambdaRuntime: "nodejs22.x",
  architecture: "arm64",
  memorySizeMiB: 512,
  timeoutSeconds: 10,
  logRetentionDays: 30,
  throttlingRateLimit: 100,
  throttlingBurstLimit: 200,
  signingKeyVersion: 1,
  adminKeyVersion: 1,
  tableDeletionProtection: true,
} as const satisfies Partial<AwsCellProps>;

/**
 * Checks `props` against `AWS_CELL_PROPS` (constructs/props/aws-cell-props.ts) and throws one
 * `PropsError` listing every problem (field, value given, what is allowed). Pure, so tests call it
 * directly; values that are unresolved tokens are skipped.
 */
export function validateAwsCellProps(props: AwsCellProps): void {
  assertValidProps(AWS_CELL_PROPS, props);
}

/** Validates `props` and fills in `AWS_CELL_DEFAULTS` (with `??`: a caller's `false` or `0` stays). */
export function resolveAwsCellProps(props: AwsCellProps): ResolvedAwsCellProps {
  validateAwsCellProps(props);
  return {
    cellId: props.cellId,
    region: props.region,
    lambdaRuntime: props.lambdaRuntime ?? AWS_CELL_DEFAULTS.lambdaRuntime,
    architecture: props.architecture ?? AWS_CELL_DEFAULTS.architecture,
    memorySizeMiB: props.memorySizeMiB ?? AWS_CELL_DEFAULTS.memorySizeMiB,
    timeoutSeconds: props.timeoutSeconds ?? AWS_CELL_DEFAULTS.timeoutSeconds,
    logRetentionDays: props.logRetentionDays ?? AWS_CELL_DEFAULTS.logRetentionDays,
    throttlingRateLimit: props.throttlingRateLimit ?? AWS_CELL_DEFAULTS.throttlingRateLimit,
    throttlingBurstLimit: props.throttlingBurstLimit ?? AWS_CELL_DEFAULTS.throttlingBurstLimit,
    reservedConcurrency: props.reservedConcurrency,
    signingKeyVersion: props.signingKeyVersion ?? AWS_CELL_DEFAULTS.signingKeyVersion,
    adminKeyVersion: props.adminKeyVersion ?? AWS_CELL_DEFAULTS.adminKeyVersion,
    tableDeletionProtection: props.tableDeletionProtection ?? AWS_CELL_DEFAULTS.tableDeletionProtection,
    ...(props.lake === undefined ? {} : { lake: resolveAwsLakeProps(props.lake) }),
    ...(props.standby === undefined ? {} : { standby: resolveAwsStandbyProps(props.standby) }),
  };
}

/** Physical names of a cell's resources: derived from the cell id only, so they are stable API. */
export function awsCellNames(cellId: string) {
  const functionName = `cells-${cellId}-api`;
  return {
    table: awsCellTableName(cellId),
    function: functionName,
    role: `cells-${cellId}-api`,
    api: `cells-${cellId}`,
    secret: `cells/${cellId}/signing-key`,
    adminSecret: `cells/${cellId}/admin-key`,
    functionLogGroup: `/aws/lambda/${functionName}`,
    accessLogGroup: `/aws/apigateway/cells-${cellId}/access`,
  } as const;
}

type AwsCellNames = ReturnType<typeof awsCellNames>;

/** `${cellId}-v${version}`: the key id the edge sends and the function expects. */
export const awsCellSigningKeyId = (cellId: string, version: number): string => `${cellId}-v${version}`;

/** `${cellId}-admin-v${version}`: the key id `cellctl` sends on admin API calls. */
export const awsCellAdminKeyId = (cellId: string, version: number): string => `${cellId}-admin-v${version}`;

/**
 * Lambda's log levels: the function's own entries at INFO and above (the logger writes each at its
 * level), and the platform's START, END and REPORT lines (duration, billed duration, memory, init
 * duration of cold starts), which Lambda writes at INFO and a WARN system level would drop.
 */
export const AWS_CELL_LOGGING = { logFormat: "JSON", applicationLogLevel: "INFO", systemLogLevel: "INFO" } as const;

/** Base64 of a hex SHA-256: the encoding Lambda's `source_code_hash` uses. */
export const sourceCodeHashOf = (code: Pick<Bundle, "hash">): string => Buffer.from(code.hash, "hex").toString("base64");

/**
 * One field per line of the API's access log (JSON): enough to follow a request from the router's
 * `x-request-id` to the function, and to tell a throttle from an integration failure. No headers or
 * bodies, so no tenant data or signature material lands in the logs.
 */
export const AWS_CELL_ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  requestTime: "$context.requestTime",
  sourceIp: "$context.identity.sourceIp",
  method: "$context.httpMethod",
  path: "$context.path",
  routeKey: "$context.routeKey",
  protocol: "$context.protocol",
  status: "$context.status",
  responseLength: "$context.responseLength",
  latency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  integrationStatus: "$context.integration.status",
  integrationError: "$context.integrationErrorMessage",
  error: "$context.error.message",
});

/** A literal IAM policy document; tokens inside it synthesize as Terraform interpolations in the JSON string. */
const policyDocument = (...statements: Array<Record<string, unknown>>): string => JSON.stringify({ Version: "2012-10-17", Statement: statements });

/**
 * An AWS cell: an HTTP API (API Gateway v2) in front of one Lambda function that keeps its data in
 * one DynamoDB table, plus the cell's own request-signing key and admin key in Secrets Manager.
 *
 * A second key, the admin key, is for the operator's `cellctl` only: the construct keeps it off
 * `ICell`, so the edge stack cannot bind it to the router.
 *
 * The function gets only the ARNs of the secrets (never a secret in its environment) and IAM rights
 * to its own table, secrets and log group. The API has no authorizer: every request is verified by
 * the function against the signing key, and an unsigned one is rejected there. There is no Lambda
 * function URL. The construct creates no `TerraformOutput`s; the stack decides what to export.
 *
 * The stack must declare an `AwsProvider` and a `RandomProvider`.
 */
export class AwsCell extends Construct implements ICell {
  readonly cellId: string;
  readonly cloud: Cloud;
  readonly region: string;
  /** `https://<api-id>.execute-api.<region>.amazonaws.com`, no trailing slash (a token). */
  readonly endpointUrl: string;
  readonly signingKeyId: string;
  /** The generated signing secret (sensitive token); for the edge stack only. */
  readonly signingSecret: string;
  /** Id of the admin key, e.g. `alpha-admin-v1`. Not part of `ICell`: the router never gets it. */
  readonly adminKeyId: string;
  /** The generated admin secret (sensitive token); the stack exports it as a sensitive output for operators. */
  readonly adminSecret: string;

  /** The cell's data. Its Terraform address is guarded by a test: renaming it would destroy data. */
  readonly table: DynamodbTable;
  readonly function: LambdaFunction;
  readonly api: Apigatewayv2Api;
  readonly stage: Apigatewayv2Stage;
  readonly role: IamRole;
  /** Holds the signing secret; the function reads it at run time through `SIGNING_SECRET_ARN`. */
  readonly signingSecretStore: SecretsmanagerSecret;
  /** Holds the admin secret; the function reads it at run time through `ADMIN_SECRET_ARN`. */
  readonly adminSecretStore: SecretsmanagerSecret;
  /** The bundled function code (hash and folder), as deployed. */
  readonly code: Bundle;
  /** The reporting lake (bucket, consumer, stream mapping), when `lake` is set. */
  readonly lake?: AwsLake;
  /** The standby replication consumer (function, stream mapping, sweep schedule), when `standby` is set. */
  readonly standby?: AwsStandby;

  constructor(scope: Construct, id: string, props: AwsCellProps) {
    // Validate before joining the construct tree: invalid props leave no half-built cell behind.
    const p = resolveAwsCellProps(props);
    super(scope, id);
    const names = awsCellNames(p.cellId);
    this.cloud = "aws";
    this.cellId = p.cellId;
    this.region = p.region;
    this.signingKeyId = awsCellSigningKeyId(p.cellId, p.signingKeyVersion);
    this.adminKeyId = awsCellAdminKeyId(p.cellId, p.adminKeyVersion);

    this.table = this.createTable(p, names);
    const signingKey = this.createKey("signing", this.signingKeyId, names.secret, `HMAC-SHA256 key the edge router signs requests to cell ${p.cellId} with`);
    this.signingSecret = signingKey.secret;
    this.signingSecretStore = signingKey.store;
    // The admin key is the operator's, never the router's.
    const adminKey = this.createKey("admin", this.adminKeyId, names.adminSecret, `HMAC-SHA256 key the operator's cellctl signs admin API calls to cell ${p.cellId} with`);
    this.adminSecret = adminKey.secret;
    this.adminSecretStore = adminKey.store;
    const logs = this.createLogGroups(p, names);
    const identity = this.createRole(p, names, logs.functionLogs);
    this.role = identity.role;
    this.code = bundle(AWS_CELL_BUNDLE);
    // Logs and rights exist before the first cold start, and the secrets have values to read.
    this.function = this.createFunction(p, names, logs.functionLogs, [logs.functionLogs, ...identity.policies, signingKey.version, adminKey.version]);
    const api = this.createApi(p, names, logs.accessLogs);
    this.api = api.api;
    this.stage = api.stage;
    this.endpointUrl = this.api.apiEndpoint;
    if (p.lake) this.lake = this.createLake(p, p.lake);
    if (p.standby) this.standby = this.createStandby(p, p.standby);
  }

  /** The cell's data: one table, its sparse ownership index, point-in-time recovery, the stream the lake reads. */
  private createTable(p: ResolvedAwsCellProps, names: AwsCellNames): DynamodbTable {
    return new DynamodbTable(this, "records", {
      name: names.table,
      billingMode: "PAY_PER_REQUEST",
      hashKey: TABLE_SCHEMA.partitionKey,
      rangeKey: TABLE_SCHEMA.sortKey,
      attribute: [
        { name: TABLE_SCHEMA.partitionKey, type: "S" },
        { name: TABLE_SCHEMA.sortKey, type: "S" },
        { name: TABLE_SCHEMA.ownershipIndex.partitionKey, type: "S" },
        { name: TABLE_SCHEMA.ownershipIndex.sortKey, type: "S" },
      ],
      // Sparse: only ownership items carry its key, so the admin API lists a cell's tenants with one Query.
      globalSecondaryIndex: [
        {
          name: TABLE_SCHEMA.ownershipIndex.name,
          hashKey: TABLE_SCHEMA.ownershipIndex.partitionKey,
          rangeKey: TABLE_SCHEMA.ownershipIndex.sortKey,
          projectionType: "ALL",
        },
      ],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: p.tableDeletionProtection,
      ttl: { attributeName: TABLE_SCHEMA.ttlAttribute, enabled: true },
      streamEnabled: true,
      streamViewType: "NEW_AND_OLD_IMAGES",
    });
  }

  /**
   * A generated key (`<kind>-key`) and the Secrets Manager secret holding it (`<kind>-secret`, with its
   * `<kind>-secret-version`). A new key id means a new secret: random_password is replaced when a keeper changes.
   */
  private createKey(kind: "signing" | "admin", keyId: string, secretName: string, description: string) {
    const password = new Password(this, `${kind}-key`, {
      length: 64,
      special: false,
      keepers: { [`${kind}-key-id`]: keyId },
    });
    const store = new SecretsmanagerSecret(this, `${kind}-secret`, { name: secretName, description });
    const version = new SecretsmanagerSecretVersion(this, `${kind}-secret-version`, {
      secretId: store.id,
      secretString: password.result,
    });
    return { secret: password.result, store, version };
  }

  private createLogGroups(p: ResolvedAwsCellProps, names: AwsCellNames) {
    const functionLogs = new CloudwatchLogGroup(this, "function-logs", {
      name: names.functionLogGroup,
      retentionInDays: p.logRetentionDays,
    });
    const accessLogs = new CloudwatchLogGroup(this, "access-logs", {
      name: names.accessLogGroup,
      retentionInDays: p.logRetentionDays,
    });
    return { functionLogs, accessLogs };
  }

  /** The function's role: its own table and index, its two secrets, its log group, X-Ray. Nothing else. */
  private createRole(p: ResolvedAwsCellProps, names: AwsCellNames, functionLogs: CloudwatchLogGroup) {
    const role = new IamRole(this, "role", {
      name: names.role,
      description: `Execution role of cell ${p.cellId}'s function`,
      assumeRolePolicy: policyDocument({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }),
    });
    const tablePolicy = new IamRolePolicy(this, "table-access", {
      name: "table-access",
      role: role.name,
      policy: policyDocument({ Sid: "Records", Effect: "Allow", Action: [...AWS_CELL_TABLE_ACTIONS], Resource: [this.table.arn, `${this.table.arn}/index/${TABLE_SCHEMA.ownershipIndex.name}`] }),
    });
    const secretPolicy = new IamRolePolicy(this, "signing-secret-access", {
      name: "signing-secret-access",
      role: role.name,
      policy: policyDocument({ Sid: "SigningSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: this.signingSecretStore.arn }),
    });
    const adminSecretPolicy = new IamRolePolicy(this, "admin-secret-access", {
      name: "admin-secret-access",
      role: role.name,
      policy: policyDocument({ Sid: "AdminSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: this.adminSecretStore.arn }),
    });
    const logsPolicy = new IamRolePolicy(this, "log-access", {
      name: "log-access",
      role: role.name,
      policy: policyDocument({ Sid: "FunctionLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${functionLogs.arn}:*` }),
    });
    // X-Ray's write actions support no resource-level permissions; AWS's managed policy is the narrow option.
    const partition = new DataAwsPartition(this, "partition");
    const tracingPolicy = new IamRolePolicyAttachment(this, "tracing-access", {
      role: role.name,
      policyArn: `arn:${partition.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess`,
    });
    return { role, policies: [tablePolicy, secretPolicy, adminSecretPolicy, logsPolicy, tracingPolicy] };
  }

  /** The function, from `this.code`; it gets the ARNs of its secrets, never a secret. */
  private createFunction(p: ResolvedAwsCellProps, names: AwsCellNames, functionLogs: CloudwatchLogGroup, dependsOn: ITerraformDependable[]): LambdaFunction {
    const asset = new TerraformAsset(this, "code", { path: packageOf(this.code), type: AssetType.FILE, assetHash: this.code.hash });
    return new LambdaFunction(this, "function", {
      functionName: names.function,
      description: `API of cell ${p.cellId}`,
      role: this.role.arn,
      runtime: p.lambdaRuntime,
      architectures: [p.architecture],
      handler: "index.handler",
      filename: asset.path,
      sourceCodeHash: sourceCodeHashOf(this.code),
      memorySize: p.memorySizeMiB,
      timeout: p.timeoutSeconds,
      reservedConcurrentExecutions: p.reservedConcurrency,
      environment: {
        variables: {
          [AWS_CELL_ENV.cellId]: p.cellId,
          [AWS_CELL_ENV.tableName]: this.table.name,
          [AWS_CELL_ENV.signingKeyId]: this.signingKeyId,
          [AWS_CELL_ENV.signingSecretArn]: this.signingSecretStore.arn,
          [AWS_CELL_ENV.adminKeyId]: this.adminKeyId,
          [AWS_CELL_ENV.adminSecretArn]: this.adminSecretStore.arn,
        },
      },
      tracingConfig: { mode: "Active" },
      loggingConfig: { ...AWS_CELL_LOGGING, logGroup: functionLogs.name },
      dependsOn,
    });
  }

  /** The HTTP API: one `$default` route and stage to the function, with access logs and throttling. */
  private createApi(p: ResolvedAwsCellProps, names: AwsCellNames, accessLogs: CloudwatchLogGroup) {
    const api = new Apigatewayv2Api(this, "api", {
      name: names.api,
      description: `HTTP API of cell ${p.cellId}; requests must carry the edge router's signature`,
      protocolType: "HTTP",
    });
    const integration = new Apigatewayv2Integration(this, "integration", {
      apiId: api.id,
      integrationType: "AWS_PROXY",
      integrationMethod: "POST",
      integrationUri: this.function.invokeArn,
      payloadFormatVersion: "2.0",
    });
    new Apigatewayv2Route(this, "default-route", {
      apiId: api.id,
      routeKey: "$default",
      target: `integrations/${integration.id}`,
    });
    const stage = new Apigatewayv2Stage(this, "stage", {
      apiId: api.id,
      name: "$default",
      autoDeploy: true,
      accessLogSettings: { destinationArn: accessLogs.arn, format: AWS_CELL_ACCESS_LOG_FORMAT },
      defaultRouteSettings: {
        throttlingRateLimit: p.throttlingRateLimit,
        throttlingBurstLimit: p.throttlingBurstLimit,
        detailedMetricsEnabled: true,
      },
    });
    new LambdaPermission(this, "api-invoke", {
      statementId: "AllowInvokeFromCellApi",
      action: "lambda:InvokeFunction",
      functionName: this.function.functionName,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${api.executionArn}/*/*`,
    });
    return { api, stage };
  }

  /** The reporting lake (optional): bucket, consumer and stream mapping on this cell's table. */
  private createLake(p: ResolvedAwsCellProps, lake: ResolvedAwsLakeProps): AwsLake {
    return new AwsLake(this, "lake", {
      cellId: p.cellId,
      region: p.region,
      table: this.table,
      lambdaRuntime: p.lambdaRuntime,
      architecture: p.architecture,
      logRetentionDays: p.logRetentionDays,
      logging: AWS_CELL_LOGGING,
      lake,
    });
  }

  /** Standby replication (optional): the consumer that keeps each linked tenant's standby cell up to date. */
  private createStandby(p: ResolvedAwsCellProps, standby: ResolvedAwsStandbyProps): AwsStandby {
    return new AwsStandby(this, "standby", {
      cellId: p.cellId,
      table: this.table,
      cellTimeoutSeconds: p.timeoutSeconds,
      lambdaRuntime: p.lambdaRuntime,
      architecture: p.architecture,
      logRetentionDays: p.logRetentionDays,
      logging: AWS_CELL_LOGGING,
      standby,
    });
  }
}
