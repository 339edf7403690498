import { PutItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import type { NonceStore } from "../core";
import { TABLE_SCHEMA } from "./config";
import { guarded, isConditionFailed } from "./dynamodb-errors";
import type { DynamoDbStoreOptions } from "./dynamodb-tenant-store";

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_SCHEMA;
const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

/**
 * `NonceStore` on DynamoDB: one conditional `PutItem` (item `N#<tenant>#<nonce>` / `N`, its own
 * partition) that succeeds when the nonce is unknown or its entry has expired (also before TTL deletes
 * it). The item carries a random token of this claim: when the SDK retries the put after a lost answer,
 * the retry finds its own token and succeeds, instead of refusing the router's request as a replay.
 */
export class DynamoDbNonceStore implements NonceStore {
  constructor(private readonly options: DynamoDbStoreOptions) {}

  async claim(tenantId: string, nonce: string, expiresAtSec: number, nowSec: number): Promise<boolean> {
    const token = crypto.randomUUID();
    try {
      await guarded("PutItem", () =>
        this.options.client.send(
          new PutItemCommand({
            TableName: this.options.tableName,
            Item: { [PK]: S(`N#${tenantId}#${nonce}`), [SK]: S("N"), token: S(token), [TTL]: N(expiresAtSec) },
            ConditionExpression: "attribute_not_exists(#pk) OR #ttl <= :now OR #token = :token",
            ExpressionAttributeNames: { "#pk": PK, "#ttl": TTL, "#token": "token" },
            ExpressionAttributeValues: { ":now": N(nowSec), ":token": S(token) },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}
