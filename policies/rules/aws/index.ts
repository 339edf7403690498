import type { PolicyRule } from "../../engine";

/** Rules for AWS resources, one file each in this folder. */
export const AWS_RULES: readonly PolicyRule[] = [];
