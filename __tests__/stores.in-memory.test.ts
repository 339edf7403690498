import { describeStoreContract } from "./contracts/store.contract";
import { InMemoryNonceStore, InMemoryTenantStore } from "./support/in-memory-stores";

describeStoreContract("in-memory fake", async () => ({
  stores: { tenants: new InMemoryTenantStore(), nonces: new InMemoryNonceStore() },
  close: async () => undefined,
}));
