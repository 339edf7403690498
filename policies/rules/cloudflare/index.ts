import type { PolicyRule } from "../../engine";
import { workerAuthRequired } from "./worker-auth-required";
import { workerCloudMode } from "./worker-cloud-mode";
import { workerKeysSecret } from "./worker-keys-secret";
import { workerNoAdminKey } from "./worker-no-admin-key";

/** Rules for Cloudflare resources, one file each in this folder. */
export const CLOUDFLARE_RULES: readonly PolicyRule[] = [workerKeysSecret, workerCloudMode, workerNoAdminKey, workerAuthRequired];
