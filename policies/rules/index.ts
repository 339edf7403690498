import type { PolicyRule } from "../engine";
import { AWS_RULES } from "./aws";
import { AZURE_RULES } from "./azure";
import { CLOUDFLARE_RULES } from "./cloudflare";

/**
 * Every rule the synthesized stacks must pass. Add a rule: one file in the cloud's folder, one entry
 * in its index, and a passing and a failing fixture in that cloud's policy tests.
 */
export const ALL_RULES: readonly PolicyRule[] = [...AWS_RULES, ...AZURE_RULES, ...CLOUDFLARE_RULES];
