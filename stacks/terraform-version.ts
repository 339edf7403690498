import type { TerraformStack } from "cdktf";

/**
 * The oldest Terraform every stack runs on: 1.10 brings S3 native state locking (`use_lockfile`),
 * which the S3 backend uses. With it in `required_version`, an older Terraform stops at `init` with
 * Terraform's own message instead of failing somewhere in the middle of a plan.
 */
export const TERRAFORM_REQUIRED_VERSION = ">= 1.10.0";

/** Writes `terraform.required_version` into the stack (cdktf 0.21 has no typed setting for it). */
export function requireTerraformVersion(stack: TerraformStack): void {
  stack.addOverride("terraform.required_version", TERRAFORM_REQUIRED_VERSION);
}
