import type { ReplicationTiming } from "./replication-sender";
import type { SettingsReader } from "./settings";

/**
 * The replication consumer's timing settings, the same names on both clouds (the constructs set them,
 * the sandbox passes its own): how long one confirmation lets the primary write, how long a write
 * started under it may still take, and how far before the last confirmed point a sweep reads.
 */
export const STANDBY_TIMING_ENV = {
  leaseMs: "STANDBY_LEASE_MS",
  guardMs: "STANDBY_GUARD_MS",
  scanMarginMs: "STANDBY_SCAN_MARGIN_MS",
  relistMs: "STANDBY_RELIST_MS",
} as const;

/**
 * Deployed defaults. The lease covers two sweeps at the slowest schedule (one a minute on AWS, whose
 * schedules go no finer), so one lost sweep costs no write; the guard outlasts the cells' function
 * timeouts (29 s at most), beyond which no write started under the lease can still be running; the
 * margin matches a move's (a change's commit time is stamped when its write is planned).
 */
export const DEFAULT_REPLICATION_TIMING: ReplicationTiming = { leaseMs: 150_000, guardMs: 30_000, scanMarginMs: 45_000 };

/** Reads the timing settings (ms), recording a problem for each bad one; the lease must outlast a sweep interval. */
export function readReplicationTiming(settings: SettingsReader, defaults: ReplicationTiming = DEFAULT_REPLICATION_TIMING): ReplicationTiming {
  return {
    leaseMs: settings.integer(STANDBY_TIMING_ENV.leaseMs, defaults.leaseMs, 500, 3_600_000),
    guardMs: settings.integer(STANDBY_TIMING_ENV.guardMs, defaults.guardMs, 0, 600_000),
    scanMarginMs: settings.integer(STANDBY_TIMING_ENV.scanMarginMs, defaults.scanMarginMs, 0, 3_600_000),
    relistMs: settings.integer(STANDBY_TIMING_ENV.relistMs, defaults.relistMs ?? 0, 0, 3_600_000),
  };
}
