import { MAX_BODY_BYTES, err, ok, type Result } from "../contract";
import { ROUTER_MODES, SETTING_DEFAULTS, SettingBindings, type RouterMode } from "./bindings";

/** The router's settings, parsed from its plain-text bindings. */
export interface RouterSettings {
  readonly mode: RouterMode;
  readonly cellTimeoutMs: number;
  readonly registryCacheTtlMs: number;
  readonly registryNegativeTtlMs: number;
  readonly maxBodyBytes: number;
}

/** The settings bindings as they arrive: optional strings (`Env` is one). */
export type SettingValues = { readonly [name in (typeof SettingBindings)[keyof typeof SettingBindings]]?: string };

/** Longest cell timeout accepted: a Worker's request should not outlive the client's patience. */
export const MAX_CELL_TIMEOUT_MS = 60_000;
/** Longest registry cache TTL accepted: a tenant move must become visible in reasonable time. */
export const MAX_REGISTRY_TTL_MS = 300_000;

function integer(raw: string | undefined, name: string, fallback: number, min: number, max: number): Result<number> {
  if (raw === undefined || raw === "") return ok(fallback);
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) return err(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return ok(value);
}

/**
 * Parses the settings bindings (strings, each optional). An invalid value is an error, not a silent
 * default: the edge stack can run this same function at synth time, and the Worker answers 500 with
 * the binding's name rather than route with a setting nobody asked for.
 */
export function parseSettings(env: SettingValues): Result<RouterSettings> {
  const rawMode = env[SettingBindings.mode];
  let mode: RouterMode = SETTING_DEFAULTS.mode;
  if (rawMode !== undefined && rawMode !== "") {
    if (!(ROUTER_MODES as readonly string[]).includes(rawMode)) {
      return err(`${SettingBindings.mode} must be one of ${ROUTER_MODES.join(", ")}, got ${JSON.stringify(rawMode)}`);
    }
    mode = rawMode as RouterMode;
  }
  const timeout = integer(env[SettingBindings.cellTimeoutMs], SettingBindings.cellTimeoutMs, SETTING_DEFAULTS.cellTimeoutMs, 1, MAX_CELL_TIMEOUT_MS);
  if (!timeout.ok) return timeout;
  const ttl = integer(env[SettingBindings.registryCacheTtlMs], SettingBindings.registryCacheTtlMs, SETTING_DEFAULTS.registryCacheTtlMs, 0, MAX_REGISTRY_TTL_MS);
  if (!ttl.ok) return ttl;
  const negativeTtl = integer(
    env[SettingBindings.registryNegativeTtlMs],
    SettingBindings.registryNegativeTtlMs,
    Math.min(SETTING_DEFAULTS.registryNegativeTtlMs, ttl.value),
    0,
    ttl.value,
  );
  if (!negativeTtl.ok) return negativeTtl;
  const maxBody = integer(env[SettingBindings.maxBodyBytes], SettingBindings.maxBodyBytes, SETTING_DEFAULTS.maxBodyBytes, 0, MAX_BODY_BYTES);
  if (!maxBody.ok) return maxBody;
  return ok({ mode, cellTimeoutMs: timeout.value, registryCacheTtlMs: ttl.value, registryNegativeTtlMs: negativeTtl.value, maxBodyBytes: maxBody.value });
}
