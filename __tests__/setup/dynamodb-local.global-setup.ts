import { startDynamoDbLocal, type DynamoDbLocal } from "../../sandbox/emulators/dynamodb-local";

/**
 * One DynamoDB Local (one JVM, ~200 MiB, ~2 s to start) for the whole jest run, shared by every test
 * file through `DYNAMODB_LOCAL_ENDPOINT`; each file creates its own tables (`support/dynamodb.ts`).
 * Jest runs this in its parent process before forking workers, so they inherit the variable.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DYNAMODB_LOCAL_ENDPOINT) return; // one provided from outside (e.g. a running emulator)
  const db = await startDynamoDbLocal();
  process.env.DYNAMODB_LOCAL_ENDPOINT = db.endpoint;
  (globalThis as { __dynamoDbLocal?: DynamoDbLocal }).__dynamoDbLocal = db;
}
