import type { PolicyRule } from "../../engine";

/** Rules for Azure resources, one file each in this folder. */
export const AZURE_RULES: readonly PolicyRule[] = [];
