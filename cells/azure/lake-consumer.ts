import { ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import { BlobLandingZone } from "./blob-landing-zone";
import { ConfigError, SettingsReader, deliverToLake, jsonLineLogger, type LakeSource, type LandingZone, type Logger, type OutboxEntry, type RejectedEntry } from "../core";
import { AZURE_CELL_ENV, AZURE_LAKE_ENV } from "./config";
import { ITEM_KINDS } from "./cosmos-items";

/**
 * The Azure lake consumer: what the cell's Cosmos DB trigger runs on each batch of the container's
 * change feed. The feed delivers every changed document of the container (records, ownership, keyed
 * answers, nonces and outbox entries alike, in their latest version); the consumer keeps the outbox
 * documents (`kind: "change"`) and lands their events with the core's `deliverToLake`.
 *
 * Failure handling: the handler throws when a file could not be written, and the trigger's retry
 * policy (unbounded, backing off) runs the batch again before the trigger checkpoints its lease, so
 * nothing is skipped; the change feed keeps the batch while it waits. Entries that can never be landed
 * are logged as errors and skipped.
 */

export interface AzureLakeConfig {
  readonly cellId: string;
  /** `https://<account>.blob.core.windows.net/<container>` */
  readonly containerUrl: string;
}

/** Thrown when the lake settings are present but unusable; `problems` names every bad setting. */
export class AzureLakeConfigError extends ConfigError {
  override readonly name = "AzureLakeConfigError";
  constructor(problems: readonly string[]) {
    super("invalid lake settings", problems);
  }
}

/** `https://<host>/<container>` (a container name: 3-63 lower-case letters, digits and single hyphens). */
const CONTAINER_URL = /^https:\/\/[^/?#\s@]+\/[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}\/?$/;

/**
 * The lake's settings, or undefined when `LAKE_CONTAINER_URL` is unset (the cell has no lake). Throws
 * `AzureLakeConfigError` naming every problem when it is set but the settings are wrong.
 */
export function readAzureLakeConfig(env: Readonly<Record<string, string | undefined>>): AzureLakeConfig | undefined {
  const settings = new SettingsReader(env);
  if (settings.read(AZURE_LAKE_ENV.containerUrl) === undefined) return undefined;
  const cellId = settings.cellId(AZURE_CELL_ENV.cellId);
  const containerUrl = settings.matching(AZURE_LAKE_ENV.containerUrl, CONTAINER_URL);
  if (settings.problems.length > 0) throw new AzureLakeConfigError(settings.problems);
  return { cellId, containerUrl: containerUrl.replace(/\/$/, "") };
}

/** What the change feed hands the trigger: the container's documents. */
interface FeedDocument {
  readonly kind?: unknown;
  readonly tenantId?: unknown;
  readonly event?: unknown;
}

/**
 * The outbox entries among change-feed documents: `kind: "change"` documents, each with the tenant
 * of its partition (`tenantId`). A change document without an `event` is refused.
 */
export function outboxEntriesOfFeed(documents: readonly unknown[]): { entries: OutboxEntry[]; rejected: RejectedEntry[] } {
  const entries: OutboxEntry[] = [];
  const rejected: RejectedEntry[] = [];
  for (const raw of documents) {
    const doc = (typeof raw === "object" && raw !== null ? raw : {}) as FeedDocument;
    if (doc.kind !== ITEM_KINDS.change) continue;
    const partitionTenantId = typeof doc.tenantId === "string" ? doc.tenantId : "";
    if (doc.event === undefined) rejected.push({ reason: "the outbox document has no 'event'", partitionTenantId });
    else entries.push({ partitionTenantId, event: doc.event });
  }
  return { entries, rejected };
}

/** Lands the outbox documents among `documents` in `zone`; throws when a file could not be written. */
export async function landFeedDocuments(documents: readonly unknown[], zone: LandingZone, source: LakeSource, logger: Logger): Promise<number> {
  const { entries, rejected: unreadable } = outboxEntriesOfFeed(documents);
  const delivery = await deliverToLake(entries, zone, source);
  for (const r of [...unreadable, ...delivery.rejected]) {
    logger.log({ level: "error", msg: "lake.entry_refused", cloud: source.cloud, cellId: source.cellId, reason: r.reason, partitionTenantId: r.partitionTenantId, id: r.id });
  }
  if (delivery.files.length > 0) logger.log({ level: "info", msg: "lake.delivered", cellId: source.cellId, documents: documents.length, events: delivery.delivered, files: delivery.files.map((f) => f.key) });
  return delivery.delivered;
}

export interface AzureLakeOverrides {
  /** Where files go. @default a `BlobLandingZone` on `LAKE_CONTAINER_URL`, signed in with `credential` */
  readonly zone?: LandingZone;
  /** @default a system-assigned `ManagedIdentityCredential` */
  readonly credential?: TokenCredential;
  readonly logger?: Logger;
}

/** The trigger's handler body: lands one change-feed batch. */
export type AzureLakeHandler = (documents: readonly unknown[]) => Promise<void>;

/**
 * The landing zone on `LAKE_CONTAINER_URL`, signed in with `credential`. `@azure/storage-blob` is
 * required here, on the first batch, not when the app's module loads: the HTTP function shares the
 * module and should not evaluate it on its cold starts.
 */
export function blobLandingZone(containerUrl: string, credential: TokenCredential): BlobLandingZone {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ContainerClient } = require("@azure/storage-blob") as typeof import("@azure/storage-blob");
  return new BlobLandingZone(new ContainerClient(containerUrl, credential));
}

export function createAzureLakeHandler(settings: AzureLakeConfig, overrides: AzureLakeOverrides = {}): AzureLakeHandler {
  const source: LakeSource = { cloud: "azure", cellId: settings.cellId };
  const logger = overrides.logger ?? jsonLineLogger();
  let zone = overrides.zone;
  return async (documents) => {
    zone ??= blobLandingZone(settings.containerUrl, overrides.credential ?? new ManagedIdentityCredential());
    await landFeedDocuments(documents, zone, source, logger);
  };
}
