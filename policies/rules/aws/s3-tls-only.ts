import { referenceTo, type PolicyRule } from "../../engine";
import { bucketSettings } from "./s3-bucket-related";

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

interface RawStatement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly Resource?: unknown;
  readonly Condition?: { readonly Bool?: Record<string, unknown> };
}

function statementsOf(policy: unknown): RawStatement[] {
  try {
    const doc = typeof policy === "string" ? (JSON.parse(policy) as { Statement?: unknown }) : undefined;
    return list(doc?.Statement) as RawStatement[];
  } catch {
    return [];
  }
}

/** Requests over plain HTTP are refused by the bucket itself, whoever sends them and whatever IAM allows. */
export const s3TlsOnly: PolicyRule = {
  id: "AWS-S3-3",
  description: "S3 bucket policies deny every request without TLS (aws:SecureTransport false) on the bucket and its objects.",
  resourceType: "aws_s3_bucket",
  check(_resource, context) {
    if (context.name === undefined) return undefined;
    const arn = referenceTo("aws_s3_bucket", context.name, "arn");
    const denies = bucketSettings(context, "aws_s3_bucket_policy", context.name)
      .flatMap((p) => statementsOf(p.policy))
      .some((s) => {
        const secure = s.Condition?.Bool?.["aws:SecureTransport"];
        const resources = list(s.Resource);
        return s.Effect === "Deny" && String(secure) === "false" && list(s.Action).some((a) => a === "s3:*" || a === "*") && resources.includes(arn) && resources.includes(`${arn}/*`);
      });
    return denies ? undefined : "no aws_s3_bucket_policy of this bucket denies s3:* on the bucket and its objects when aws:SecureTransport is false";
  },
};
