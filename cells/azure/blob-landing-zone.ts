import type { ContainerClient } from "@azure/storage-blob";
import { LAKE_CONTENT_TYPE, type LandingZone } from "../core";

/**
 * The Azure cell's lake landing zone: one Blob container (on an ADLS Gen2 account of its own). A put
 * uploads the file as one block blob in a single request, which Blob Storage makes durable before it
 * answers and which replaces a blob of the same name whole, so a batch delivered again overwrites its
 * earlier copy.
 */
export class BlobLandingZone implements LandingZone {
  constructor(readonly container: Pick<ContainerClient, "getBlockBlobClient">) {}

  async put(key: string, body: string): Promise<void> {
    await this.container.getBlockBlobClient(key).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: LAKE_CONTENT_TYPE } });
  }
}
