import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { TABLE_SCHEMA } from "../../cells/aws/config";

// dynalite ships no type declarations; this is the part of its API the tests use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require("dynalite") as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** A DynamoDB emulator on loopback with the cell's table already created. */
export interface Dynalite {
  /** `http://127.0.0.1:<port>`, for `DYNAMODB_ENDPOINT`. */
  readonly endpoint: string;
  readonly tableName: string;
  /** A real SDK client pointed at the emulator (region us-east-1, dummy credentials). */
  readonly client: DynamoDBClient;
  /** Destroys the client and stops the emulator. */
  close(): Promise<void>;
}

/** Dummy credentials: dynalite checks that requests are signed, not by whom. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

/**
 * Starts dynalite (in memory, on 127.0.0.1, a free port) and creates a table with the AWS cell's key
 * schema (`TABLE_SCHEMA`), the same shape the `AwsCell` construct deploys. dynalite has no TTL sweeper,
 * no streams and no transactions, which is what makes it a strict stand-in: an adapter that relied on
 * any of them fails here.
 */
export async function startDynalite(tableName = "cell-test-table"): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ region: "us-east-1", endpoint, credentials: LOCAL_CREDENTIALS });
  const close = async () => {
    client.destroy();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  };
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: TABLE_SCHEMA.partitionKey, AttributeType: "S" },
          { AttributeName: TABLE_SCHEMA.sortKey, AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: "HASH" },
          { AttributeName: TABLE_SCHEMA.sortKey, KeyType: "RANGE" },
        ],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    for (;;) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === "ACTIVE") break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { endpoint, tableName, client, close };
}
