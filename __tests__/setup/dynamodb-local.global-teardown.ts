import type { DynamoDbLocal } from "../../sandbox/emulators/dynamodb-local";

/** Stops the run's DynamoDB Local, if global setup started one. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __dynamoDbLocal?: DynamoDbLocal }).__dynamoDbLocal?.close();
}
