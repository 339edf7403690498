import type { PolicyRule } from "../../engine";
import { bucketSettings } from "./s3-bucket-related";

const FLAGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] as const;

/** A lake holds every tenant's data: no ACL or bucket policy may ever make it public. */
export const s3PublicAccessBlocked: PolicyRule = {
  id: "AWS-S3-1",
  description: "S3 buckets have a public access block with all four settings on.",
  resourceType: "aws_s3_bucket",
  check(_resource, context) {
    if (context.name === undefined) return undefined;
    const blocks = bucketSettings(context, "aws_s3_bucket_public_access_block", context.name);
    if (blocks.length === 0) return "no aws_s3_bucket_public_access_block for this bucket";
    const off = FLAGS.filter((flag) => !blocks.some((b) => b[flag] === true));
    return off.length === 0 ? undefined : `the public access block must set ${off.join(", ")} to true`;
  },
};
