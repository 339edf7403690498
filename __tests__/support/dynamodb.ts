import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createCellTable, localDynamoDbClient, startDynamoDbLocal, uniqueTableName } from "../../sandbox/emulators/dynamodb-local";

/** A fresh table with the cell's schema on the run's shared DynamoDB Local. */
export interface DynamoTable {
  readonly endpoint: string;
  readonly tableName: string;
  readonly streamArn: string;
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

/**
 * Creates a table on the DynamoDB Local that jest's global setup started (`DYNAMODB_LOCAL_ENDPOINT`);
 * without one (a script run outside jest), starts a private one and stops it on close.
 */
export async function openDynamoTable(label = "cell"): Promise<DynamoTable> {
  const shared = process.env.DYNAMODB_LOCAL_ENDPOINT;
  const own = shared ? undefined : await startDynamoDbLocal();
  const endpoint = shared ?? own!.endpoint;
  const client = localDynamoDbClient(endpoint);
  const tableName = uniqueTableName(label);
  const { streamArn } = await createCellTable(client, tableName);
  return {
    endpoint,
    tableName,
    streamArn,
    client,
    close: async () => {
      client.destroy();
      await own?.close();
    },
  };
}
