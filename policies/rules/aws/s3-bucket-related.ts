import { referenceTo, type PolicyContext } from "../../engine";

/**
 * The resources of `type` that configure the bucket `bucketName` of this stack (their `bucket`
 * argument references the bucket's `id` or `bucket`): S3's settings live in resources of their own
 * since AWS provider 4, so a bucket's rules look them up here.
 */
export function bucketSettings(context: PolicyContext, type: string, bucketName: string): Array<Record<string, unknown>> {
  const refs = [referenceTo("aws_s3_bucket", bucketName, "id"), referenceTo("aws_s3_bucket", bucketName, "bucket")];
  return Object.values(context.resources[type] ?? {}).filter((r) => refs.includes(String(r.bucket)));
}

/** A nested block Terraform JSON may hold as an object or a list: its entries as a list. */
export const blocks = (value: unknown): Array<Record<string, unknown>> =>
  (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]).filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null);
