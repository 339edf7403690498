import { describeStoreContract } from "./contracts/store.contract";
import { InMemoryIdempotencyStore, InMemoryNonceStore, InMemoryRecordStore } from "./support/in-memory-stores";

describeStoreContract("in-memory fake", async () => ({
  stores: { records: new InMemoryRecordStore(), idempotency: new InMemoryIdempotencyStore(), nonces: new InMemoryNonceStore() },
  close: async () => {},
}));
