import { block, type PolicyRule } from "../../engine";
import { bucketSettings, blocks } from "./s3-bucket-related";

/**
 * An overwritten or deleted object stays recoverable (versioning), and only for a while (noncurrent
 * versions expire): after the outbox's retention the lake is the only copy of a change's history.
 */
export const s3Versioning: PolicyRule = {
  id: "AWS-S3-5",
  description: "S3 buckets are versioned, and an enabled lifecycle rule expires noncurrent versions.",
  resourceType: "aws_s3_bucket",
  check(_resource, context) {
    if (context.name === undefined) return undefined;
    const enabled = bucketSettings(context, "aws_s3_bucket_versioning", context.name).some((v) => block(v.versioning_configuration)?.status === "Enabled");
    if (!enabled) return "no aws_s3_bucket_versioning enables versioning on this bucket";
    const expires = bucketSettings(context, "aws_s3_bucket_lifecycle_configuration", context.name)
      .flatMap((c) => blocks(c.rule))
      .some((r) => r.status === "Enabled" && blocks(r.noncurrent_version_expiration).some((e) => typeof e.noncurrent_days === "number" && e.noncurrent_days > 0));
    return expires ? undefined : "versioned, but no enabled lifecycle rule expires noncurrent versions (they would be kept and billed forever)";
  },
};
