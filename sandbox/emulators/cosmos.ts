import { CosmosClient, type Container, type CosmosClientOptions } from "@azure/cosmos";
import { createHttpsServer } from "@vercel/cosmosdb-server";
import { Agent } from "node:https";
import type { AddressInfo } from "node:net";
import { CONTAINER_SCHEMA } from "../../cells/azure/config";

/** A Cosmos DB emulator (`@vercel/cosmosdb-server`) on loopback, with the cell's container created. */
export interface CosmosEmulator {
  /** `https://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Any key works: the emulator does not check signatures, but the SDK wants one to sign with. */
  readonly key: string;
  readonly databaseId: string;
  readonly containerId: string;
  /**
   * What a client of the emulator needs beyond endpoint and credentials: an agent that trusts the
   * emulator's self-signed certificate (for this loopback emulator only, never a cloud endpoint) and no endpoint discovery
   * (the emulator does not serve regional endpoints).
   */
  readonly clientOptions: Pick<CosmosClientOptions, "agent" | "connectionPolicy">;
  /** A key-authenticated client of the emulator, and the container on it. */
  readonly client: CosmosClient;
  readonly container: Container;
  /** Disposes the client, the agent's sockets and the server. */
  close(): Promise<void>;
}

/** The emulator's well-known development key; any base64 string would do. */
const EMULATOR_KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

/** Starts the emulator on 127.0.0.1 and a free port, and creates a database and the cell's container on it. */
export async function startCosmosEmulator(opts: { databaseId?: string; containerId?: string } = {}): Promise<CosmosEmulator> {
  const server = createHttpsServer({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `https://127.0.0.1:${port}`;
  const agent = new Agent({ rejectUnauthorized: false, keepAlive: true });
  const clientOptions = { agent, connectionPolicy: { enableEndpointDiscovery: false } };
  const client = new CosmosClient({ endpoint, key: EMULATOR_KEY, ...clientOptions });
  const databaseId = opts.databaseId ?? "cells";
  const containerId = opts.containerId ?? "records";

  const close = async () => {
    client.dispose();
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    const { database } = await client.databases.createIfNotExists({ id: databaseId });
    const { container } = await database.containers.createIfNotExists({
      id: containerId,
      partitionKey: { paths: [CONTAINER_SCHEMA.partitionKeyPath] },
      defaultTtl: CONTAINER_SCHEMA.defaultTtlSeconds,
    });
    return { endpoint, key: EMULATOR_KEY, databaseId, containerId, clientOptions, client, container, close };
  } catch (error) {
    await close();
    throw error;
  }
}
