import { app, type HttpMethod } from "@azure/functions";
import { lazyHandler } from "../core";
import { createAzureCell } from "./composition";
import { errorForLog, internalErrorResponse, type AzureHttpHandler } from "./functions-http";
import { registerLakeTrigger } from "./lake-trigger";
import { registerStandbyFunctions } from "./standby-trigger";

/**
 * The Function App's entry point (`AZURE_FUNCTION_ENTRY`), bundled by esbuild into the zip package.
 * The only file of the Azure cell that reads `process.env`; everything else gets its settings passed in.
 */

/** The one HTTP function of the app. */
export const CELL_FUNCTION_NAME = "cell";

/**
 * Catch-all route. With `routePrefix: ""` (FUNCTION_HOST_JSON) the host hands every path to this
 * function, `/healthz` and `/api/...` included, with the URL unchanged: an ASP.NET catch-all
 * parameter also matches the empty path, and the host keeps its own `/admin` and `/runtime` routes.
 */
export const CELL_ROUTE = "{*path}";

/**
 * The methods the API serves (GET, HEAD, POST, PUT, DELETE) plus PATCH and OPTIONS, so a wrong
 * method reaches the core and gets its 405 problem with `Allow`, as on the AWS cell's `ANY` route,
 * instead of a bare 404 from the host.
 */
export const CELL_HTTP_METHODS: readonly HttpMethod[] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/**
 * The registered handler. It composes the cell on first use and keeps it for the life of the worker
 * (`lazyHandler`), so a cold start pays for it once and module load never fails: a configuration
 * error is logged (naming the setting) and answered with a 500 problem, and the next request tries again.
 */
export const handler: AzureHttpHandler = lazyHandler(
  () => createAzureCell(process.env).handler,
  (error, _request, context) => {
    context.error(JSON.stringify({ level: "error", msg: "cell could not be composed", invocationId: context.invocationId, error: errorForLog(error) }));
    return internalErrorResponse(context.invocationId);
  },
);

app.http(CELL_FUNCTION_NAME, {
  route: CELL_ROUTE,
  methods: [...CELL_HTTP_METHODS],
  authLevel: "anonymous",
  handler,
});

// The reporting lake's Cosmos DB trigger, when the cell has a lake (`AzureCellProps.lake`).
registerLakeTrigger(process.env);

// The standby replication consumer's trigger and sweep, when the cell replicates (`AzureCellProps.standby`).
registerStandbyFunctions(process.env);
