import { app, type CosmosDBv4FunctionOptions, type InvocationContext } from "@azure/functions";
import { jsonLineLogger } from "../core";
import { AZURE_CELL_ENV, AZURE_LAKE_ENV, LAKE_TRIGGER_NAME } from "./config";
import { functionsLogSink, withInvocationLog } from "./functions-log";
import { createAzureLakeHandler, readAzureLakeConfig, type AzureLakeHandler, type AzureLakeOverrides } from "./lake-consumer";

/** `%NAME%`: a binding expression the Functions host resolves from the app setting `NAME`. */
const setting = (name: string): string => `%${name}%`;

/**
 * The lake trigger's binding: the cell's records container through the identity-based connection
 * `LAKE_COSMOS` (the host reads `LAKE_COSMOS__accountEndpoint` and signs in with the app's identity),
 * its checkpoints in the lease container Terraform created (the identity has no right to create
 * containers, and a container Terraform does not own would escape its lifecycle).
 *
 * - `startFromBeginning`: a new lease container starts from the oldest change the container still
 *   holds, so a lake switched on later lands the outbox entries of the last `CHANGE_RETENTION_SECONDS`.
 * - `retry`: unbounded, with back-off. Without a retry policy a failed batch would be checkpointed
 *   and skipped; with it, the lease stays where it is until the batch lands.
 * - `maxItemsPerInvocation` and `feedPollDelay`: batches of up to 100 documents, polled every second.
 */
export const LAKE_TRIGGER_OPTIONS = {
  connection: AZURE_LAKE_ENV.cosmosConnection,
  databaseName: setting(AZURE_CELL_ENV.cosmosDatabase),
  containerName: setting(AZURE_CELL_ENV.cosmosContainer),
  leaseContainerName: setting(AZURE_LAKE_ENV.leaseContainer),
  createLeaseContainerIfNotExists: false,
  startFromBeginning: true,
  maxItemsPerInvocation: 100,
  feedPollDelay: 1_000,
  retry: { strategy: "exponentialBackoff", maxRetryCount: -1, minimumInterval: { seconds: 1 }, maximumInterval: { minutes: 5 } },
} as const satisfies Omit<CosmosDBv4FunctionOptions, "handler">;

/**
 * The registered handler: composes on first use, then lands the batch within the invocation's log.
 * A configuration or write error is logged and thrown, so the retry policy runs the batch again.
 */
export function lakeTriggerHandler(env: Readonly<Record<string, string | undefined>>, overrides: AzureLakeOverrides = {}) {
  let handler: AzureLakeHandler | undefined;
  const logger = overrides.logger ?? jsonLineLogger(functionsLogSink);
  return (documents: unknown[], context: InvocationContext): Promise<void> =>
    withInvocationLog(context, async () => {
      try {
        const settings = readAzureLakeConfig(env);
        if (settings === undefined) throw new Error(`${AZURE_LAKE_ENV.containerUrl} is not set`);
        handler ??= createAzureLakeHandler(settings, { ...overrides, logger });
        await handler(documents);
      } catch (error) {
        logger.log({ level: "error", msg: "lake batch not landed; the trigger retries it", invocationId: context.invocationId, error: error instanceof Error ? error.message : String(error) });
        throw error;
      }
    });
}

/**
 * Registers the lake trigger when the app has a lake (`LAKE_CONTAINER_URL` set); returns whether it
 * did. A cell without a lake gets no trigger, so its host never looks for a lease container. Only the
 * setting's presence is checked here: module load must never fail (the HTTP function shares it), so a
 * wrong value shows up as a logged error on each trigger invocation instead.
 */
export function registerLakeTrigger(env: Readonly<Record<string, string | undefined>>): boolean {
  if (!env[AZURE_LAKE_ENV.containerUrl]) return false;
  app.cosmosDB(LAKE_TRIGGER_NAME, { ...LAKE_TRIGGER_OPTIONS, retry: { ...LAKE_TRIGGER_OPTIONS.retry }, handler: lakeTriggerHandler(env) });
  return true;
}
