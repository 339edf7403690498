import { block, type PolicyRule } from "../../engine";
import { bucketSettings, blocks } from "./s3-bucket-related";

/** Algorithms S3 default encryption accepts; each leaves no object unencrypted at rest. */
export const S3_SSE_ALGORITHMS = ["aws:kms", "aws:kms:dsse", "AES256"] as const;

/** Every object is encrypted at rest, by the bucket's default, whatever the writer asks for. */
export const s3Encrypted: PolicyRule = {
  id: "AWS-S3-2",
  description: `S3 buckets have default server-side encryption (${S3_SSE_ALGORITHMS.join(", ")}).`,
  resourceType: "aws_s3_bucket",
  check(_resource, context) {
    if (context.name === undefined) return undefined;
    const algorithms = bucketSettings(context, "aws_s3_bucket_server_side_encryption_configuration", context.name)
      .flatMap((c) => blocks(c.rule))
      .map((rule) => block(rule.apply_server_side_encryption_by_default)?.sse_algorithm);
    return algorithms.some((a) => (S3_SSE_ALGORITHMS as readonly unknown[]).includes(a))
      ? undefined
      : "no aws_s3_bucket_server_side_encryption_configuration sets a default sse_algorithm for this bucket";
  },
};
