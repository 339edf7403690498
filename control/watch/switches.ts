import type { RegistryStore } from "../registry/port";
import type { PlanView } from "./decide";

/**
 * The operator's hands on a running `cellctl watch`, kept in the registry (the sandbox's KV, or
 * Workers KV through Cloudflare's API) rather than in the loop's process or on its machine:
 *
 * - the kill switch, `control:watch-halt`: every loop reads it every window, wherever it runs (a
 *   terminal, a CI schedule, a container), and an operator flips it from anywhere with the same
 *   credentials `cellctl` already has. A switch that cannot be read counts as on: no action on doubt;
 * - the plans waiting for approval, `control:plan:<id>`: the loop writes a plan above the blast radius
 *   there, `cellctl approve <id>` marks it approved, and the next window (of any run) acts on it.
 *
 * The router reads only `cell:` and `tenant:` keys; registry export and import ignore these.
 */

export const KILL_SWITCH_KEY = "control:watch-halt";
export const PLAN_KEY_PREFIX = "control:plan:";
const PLAN_ID = /^plan-[0-9a-f]{10}$/;

export interface KillSwitch {
  readonly on: boolean;
  readonly reason?: string;
  readonly by?: string;
  readonly at?: string;
}

/** A plan as stored, with its approval once given. */
export interface StoredPlan extends PlanView {
  readonly v: 1;
  readonly requestedAt: string;
  readonly approvedAt?: string;
  readonly approvedBy?: string;
}

export async function readKillSwitch(store: RegistryStore): Promise<KillSwitch> {
  let text: string | undefined;
  try {
    text = await store.get(KILL_SWITCH_KEY);
  } catch (error) {
    return { on: true, reason: `the kill switch could not be read (${error instanceof Error ? error.message : String(error)}), so it counts as on` };
  }
  if (text === undefined) return { on: false };
  try {
    const value = JSON.parse(text) as { on?: unknown; reason?: unknown; by?: unknown; at?: unknown };
    if (value.on === false) return { on: false };
    return { on: true, reason: typeof value.reason === "string" ? value.reason : undefined, by: typeof value.by === "string" ? value.by : undefined, at: typeof value.at === "string" ? value.at : undefined };
  } catch {
    return { on: true, reason: `${KILL_SWITCH_KEY} holds no valid JSON, so it counts as on` };
  }
}

export async function setKillSwitch(store: RegistryStore, on: boolean, who: { by: string; reason?: string; now: Date }): Promise<KillSwitch> {
  if (!on) {
    await store.delete(KILL_SWITCH_KEY);
    return { on: false };
  }
  const value: KillSwitch = { on: true, reason: who.reason, by: who.by, at: who.now.toISOString() };
  await store.put(KILL_SWITCH_KEY, JSON.stringify({ v: 1, ...value }));
  return value;
}

export const isPlanId = (id: string): boolean => PLAN_ID.test(id);

/** Writes a plan that waits for approval (keeping an approval it already has). */
export async function requestApproval(store: RegistryStore, plan: PlanView, now: Date): Promise<void> {
  const existing = await readPlan(store, plan.id);
  if (existing) return;
  const stored: StoredPlan = { v: 1, ...plan, requestedAt: now.toISOString() };
  await store.put(`${PLAN_KEY_PREFIX}${plan.id}`, JSON.stringify(stored));
}

export async function readPlan(store: RegistryStore, id: string): Promise<StoredPlan | undefined> {
  const text = await store.get(`${PLAN_KEY_PREFIX}${id}`);
  return text === undefined ? undefined : (JSON.parse(text) as StoredPlan);
}

/** The approved ones among `ids` (plans that cannot be read count as not approved). */
export async function approvedPlans(store: RegistryStore, ids: readonly string[]): Promise<Set<string>> {
  const approved = new Set<string>();
  for (const id of ids) {
    try {
      if ((await readPlan(store, id))?.approvedAt) approved.add(id);
    } catch {
      // unreadable: not approved
    }
  }
  return approved;
}

export async function approvePlan(store: RegistryStore, id: string, who: { by: string; now: Date }): Promise<StoredPlan | undefined> {
  const plan = await readPlan(store, id);
  if (!plan) return undefined;
  if (plan.approvedAt) return plan;
  const approved: StoredPlan = { ...plan, approvedAt: who.now.toISOString(), approvedBy: who.by };
  await store.put(`${PLAN_KEY_PREFIX}${id}`, JSON.stringify(approved));
  return approved;
}

/** Every stored plan, newest first. */
export async function listPlans(store: RegistryStore): Promise<StoredPlan[]> {
  const plans: StoredPlan[] = [];
  for (const key of await store.list(PLAN_KEY_PREFIX)) {
    const text = await store.get(key);
    if (text !== undefined) plans.push(JSON.parse(text) as StoredPlan);
  }
  return plans.sort((a, b) => (a.requestedAt < b.requestedAt ? 1 : -1));
}
