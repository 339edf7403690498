import { randomBytes } from "node:crypto";
import type { Container } from "@azure/cosmos";
import { createAwsCell } from "../cells/aws/composition";
import { AWS_CELL_ENV, awsCellTableName } from "../cells/aws/config";
import { createAzureCell } from "../cells/azure/composition";
import { AZURE_CELL_ENV } from "../cells/azure/config";
import type { Logger } from "../cells/core";
import type { Cloud, SigningKey } from "../contract";
import { regionOf, type CellSpec } from "../topology";
import { closeInReverse } from "./close-in-reverse";
import { startCosmosEmulator, type CosmosEmulator } from "./emulators/cosmos";
import { createCellTable, localDynamoDbClient } from "./emulators/dynamodb-local";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";
import { awsCellResponder } from "./hosts/aws-cell-host";
import { azureCellResponder } from "./hosts/azure-cell-host";
import { startHttpHost, type HttpHost } from "./hosts/http-host";

/**
 * One cell of the topology running on this machine: its own store (a table on DynamoDB Local, or its
 * own Cosmos DB emulator) behind a fault proxy, the cloud's real composition root configured the way
 * the deployed function is (through its environment), and that function's platform stand-in served
 * over HTTP on loopback.
 */
export interface LocalCell {
  readonly cellId: string;
  readonly cloud: Cloud;
  readonly region: string;
  /** The cell's compute: stop it to take the cell down (its store keeps its data), start it to bring it back. */
  readonly host: HttpHost;
  /** The key the router signs data requests with. */
  readonly key: SigningKey;
  /** The key `cellctl` signs admin requests with. */
  readonly adminKey: SigningKey;
  /** The TCP proxy between the cell and its store: inject faults (slow, frozen, refused, lost answers) here. */
  readonly storeProxy: FaultProxy;
  /** Where the cell's change stream (its outbox) can be read, straight from its store: what the lake pumps read. */
  readonly outbox: LocalOutbox;
  /**
   * The settings the cell's function runs with (its environment), which the cell's other functions
   * (the standby replication consumer) are composed from, as in the deployed app; with the Cosmos DB
   * client options an emulator needs.
   */
  readonly settings: { readonly env: Readonly<Record<string, string | undefined>>; readonly cosmosClientOptions?: CosmosEmulator["clientOptions"] };
  /** Stops the host, the composition's clients, the proxy and the store, in that order. */
  close(): Promise<void>;
}

/**
 * A local cell's change stream: the stream of its table on DynamoDB Local (AWS), or its container on
 * the Cosmos DB emulator, whose outbox documents stand in for the change feed (Azure).
 */
export type LocalOutbox =
  | { readonly kind: "dynamodb-stream"; readonly endpoint: string; readonly streamArn: string }
  | { readonly kind: "cosmos-container"; readonly container: Container };

/** What a local cell gets besides its spec. */
export interface LocalCellOptions {
  readonly key: SigningKey;
  readonly adminKey: SigningKey;
  readonly logger: Logger;
  /** The DynamoDB Local the AWS cells keep their tables on. */
  readonly dynamodbEndpoint: string;
  /** Budget of one store call, ms (short in tests that freeze a store). @default the cell's own default */
  readonly storeTimeoutMs?: number;
}

const hostPort = (endpoint: string) => {
  const url = new URL(endpoint);
  return { host: url.hostname, port: Number(url.port) };
};

/** An AWS cell: a table on DynamoDB Local + `createAwsCell` (the Lambda's composition root) behind an API Gateway stand-in. */
async function startAwsCell(spec: Extract<CellSpec, { cloud: "aws" }>, options: LocalCellOptions): Promise<LocalCell> {
  const closers: Array<() => unknown> = [];
  try {
    // Unique per sandbox: several sandboxes (parallel test files, `npm start` beside a test run) share one DynamoDB Local.
    const tableName = `${awsCellTableName(spec.cellId)}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
    const admin = localDynamoDbClient(options.dynamodbEndpoint);
    closers.push(() => admin.destroy());
    const { streamArn } = await createCellTable(admin, tableName);
    const storeProxy = await startFaultProxy(hostPort(options.dynamodbEndpoint));
    closers.push(() => storeProxy.close());
    const env = {
      [AWS_CELL_ENV.cellId]: spec.cellId,
      [AWS_CELL_ENV.tableName]: tableName,
      [AWS_CELL_ENV.signingKeyId]: options.key.keyId,
      [AWS_CELL_ENV.signingSecret]: options.key.secret,
      [AWS_CELL_ENV.adminKeyId]: options.adminKey.keyId,
      [AWS_CELL_ENV.adminSecret]: options.adminKey.secret,
      [AWS_CELL_ENV.dynamodbEndpoint]: `http://127.0.0.1:${storeProxy.port}`,
      [AWS_CELL_ENV.storeTimeoutMs]: options.storeTimeoutMs === undefined ? undefined : String(options.storeTimeoutMs),
      AWS_REGION: spec.region,
    };
    const cell = createAwsCell(env, { logger: options.logger });
    closers.push(() => cell.close());
    const host = await startHttpHost(awsCellResponder(cell.handler), { name: spec.cellId });
    closers.push(() => host.stop());
    const outbox: LocalOutbox = { kind: "dynamodb-stream", endpoint: options.dynamodbEndpoint, streamArn };
    return { cellId: spec.cellId, cloud: "aws", region: spec.region, host, key: options.key, adminKey: options.adminKey, storeProxy, outbox, settings: { env }, close: () => closeInReverse(closers) };
  } catch (error) {
    await closeInReverse(closers);
    throw error;
  }
}

/** An Azure cell: cosmosdb-server + `createAzureCell` (the Function App's composition root) behind a Functions host stand-in. */
async function startAzureCell(spec: Extract<CellSpec, { cloud: "azure" }>, options: LocalCellOptions): Promise<LocalCell> {
  const store = await startCosmosEmulator();
  const closers: Array<() => unknown> = [() => store.close()];
  try {
    const storeProxy = await startFaultProxy(hostPort(store.endpoint));
    closers.push(() => storeProxy.close());
    const env = {
      [AZURE_CELL_ENV.cellId]: spec.cellId,
      [AZURE_CELL_ENV.cosmosEndpoint]: `https://127.0.0.1:${storeProxy.port}`,
      [AZURE_CELL_ENV.cosmosDatabase]: store.databaseId,
      [AZURE_CELL_ENV.cosmosContainer]: store.containerId,
      [AZURE_CELL_ENV.cosmosKey]: store.key,
      [AZURE_CELL_ENV.signingKeyId]: options.key.keyId,
      [AZURE_CELL_ENV.signingSecret]: options.key.secret,
      [AZURE_CELL_ENV.adminKeyId]: options.adminKey.keyId,
      [AZURE_CELL_ENV.adminSecret]: options.adminKey.secret,
      [AZURE_CELL_ENV.storeTimeoutMs]: options.storeTimeoutMs === undefined ? undefined : String(options.storeTimeoutMs),
    };
    const cell = createAzureCell(env, { cosmosClientOptions: store.clientOptions, logger: options.logger });
    closers.push(() => cell.close());
    const host = await startHttpHost(azureCellResponder(cell.handler), { name: spec.cellId });
    closers.push(() => host.stop());
    const outbox: LocalOutbox = { kind: "cosmos-container", container: store.container };
    return {
      cellId: spec.cellId,
      cloud: "azure",
      region: regionOf(spec),
      host,
      key: options.key,
      adminKey: options.adminKey,
      storeProxy,
      outbox,
      settings: { env, cosmosClientOptions: store.clientOptions },
      close: () => closeInReverse(closers),
    };
  } catch (error) {
    await closeInReverse(closers);
    throw error;
  }
}

/** Starts one cell of the topology on loopback, whatever its cloud. */
export function startLocalCell(spec: CellSpec, options: LocalCellOptions): Promise<LocalCell> {
  return spec.cloud === "aws" ? startAwsCell(spec, options) : startAzureCell(spec, options);
}
