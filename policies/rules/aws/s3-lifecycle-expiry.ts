import { type PolicyRule } from "../../engine";
import { bucketSettings, blocks } from "./s3-bucket-related";

/** Lake files (and anything half-uploaded) expire: data is kept as long as decided, not forever by default. */
export const s3LifecycleExpiry: PolicyRule = {
  id: "AWS-S3-4",
  description: "S3 buckets have an enabled lifecycle rule that expires objects after a number of days and aborts incomplete multipart uploads.",
  resourceType: "aws_s3_bucket",
  check(_resource, context) {
    if (context.name === undefined) return undefined;
    const rules = bucketSettings(context, "aws_s3_bucket_lifecycle_configuration", context.name)
      .flatMap((c) => blocks(c.rule))
      .filter((r) => r.status === "Enabled");
    const expires = rules.some((r) => blocks(r.expiration).some((e) => typeof e.days === "number" && e.days > 0));
    const aborts = rules.some((r) => blocks(r.abort_incomplete_multipart_upload).some((a) => typeof a.days_after_initiation === "number" && a.days_after_initiation > 0));
    const missing = [expires ? undefined : "an expiration after a number of days", aborts ? undefined : "abort_incomplete_multipart_upload"].filter(Boolean);
    return missing.length === 0 ? undefined : `the bucket's lifecycle configuration lacks ${missing.join(" and ")}`;
  },
};
