import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { LAKE_CONTENT_TYPE, type LandingZone } from "../core";

/**
 * The AWS cell's lake landing zone: one S3 bucket per cell. A put is a `PutObject` under the file's
 * key (the bucket's default encryption applies; no ACL: the bucket enforces its owner). S3 makes an
 * object durable before it answers, and replaces an object of the same key whole, so a batch
 * delivered again overwrites its earlier copy (with versioning, the old copy becomes a noncurrent
 * version that the bucket's lifecycle expires).
 */
export class S3LandingZone implements LandingZone {
  constructor(private readonly options: { readonly client: Pick<S3Client, "send">; readonly bucket: string }) {}

  async put(key: string, body: string): Promise<void> {
    await this.options.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentType: LAKE_CONTENT_TYPE }));
  }
}
