import { block, type PolicyRule } from "../../engine";
import { bucketSettings } from "./s3-bucket-related";

/** ACLs off: the bucket owner owns every object and access is decided by IAM and the bucket policy alone. */
export const s3AclsDisabled: PolicyRule = {
  id: "AWS-S3-6",
  description: "S3 buckets enforce bucket-owner object ownership (ACLs disabled).",
  resourceType: "aws_s3_bucket",
  check(_resource, context) {
    if (context.name === undefined) return undefined;
    const enforced = bucketSettings(context, "aws_s3_bucket_ownership_controls", context.name).some((c) => block(c.rule)?.object_ownership === "BucketOwnerEnforced");
    return enforced ? undefined : "no aws_s3_bucket_ownership_controls sets object_ownership to BucketOwnerEnforced for this bucket";
  },
};
