import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { internalProblemResponse, type CellHandler, type CellRequest, type CellResponse } from "../core";
import { withInvocationLog } from "./functions-log";

/** The shape of an Azure Functions v4 HTTP handler, as `app.http` takes it. */
export type AzureHttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * Splits a request URL into its path and its query string, by hand rather than through `URL`, so the
 * query reaches the signature check exactly as the platform handed it over (no re-encoding). The
 * fragment, which no client sends on the wire, is dropped.
 */
export function splitUrl(url: string): { path: string; query: string } {
  const hash = url.indexOf("#");
  const withoutFragment = hash === -1 ? url : url.slice(0, hash);
  const q = withoutFragment.indexOf("?");
  const beforeQuery = q === -1 ? withoutFragment : withoutFragment.slice(0, q);
  const query = q === -1 ? "" : withoutFragment.slice(q + 1);
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/.exec(beforeQuery);
  const path = authority ? beforeQuery.slice(authority[0].length) : beforeQuery;
  return { path: path === "" ? "/" : path, query };
}

/**
 * Turns a Functions v4 `HttpRequest` into the core's `CellRequest`: method, path and raw query from
 * `request.url`, header names lower-cased, and the body as the exact bytes received (the edge
 * signature covers their SHA-256, so nothing may decode and re-encode them).
 */
export async function toCellRequest(request: HttpRequest): Promise<CellRequest> {
  const { path, query } = splitUrl(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  const body = new Uint8Array(await request.arrayBuffer());
  return { method: request.method, path, query, headers, body };
}

/** The core's response as a v4 `HttpResponseInit`: status, headers and the body as a string, untouched. */
export const toHttpResponseInit = (response: CellResponse): HttpResponseInit => ({
  status: response.status,
  headers: { ...response.headers },
  body: response.body,
});

/**
 * The answer when the cell cannot even be reached through its adapter (the request cannot be read, or
 * the cell cannot be built from its configuration): the core's 500 problem, naming the invocation id,
 * which the Functions logs carry too, and nothing about the cause.
 */
export const internalErrorResponse = (requestId: string): HttpResponseInit => toHttpResponseInit(internalProblemResponse(requestId, "azure"));

/**
 * Wraps a core `CellHandler` as a Functions v4 handler. The translation is all it does: routing,
 * verification and error mapping live in the core, so the Azure cell answers exactly as the AWS one.
 */
export function functionsHttpHandler(cell: CellHandler): AzureHttpHandler {
  return async (request, context) => {
    try {
      // The cell's log entries during this request go to this invocation's log (functions-log.ts).
      return toHttpResponseInit(await withInvocationLog(context, async () => cell(await toCellRequest(request))));
    } catch (error) {
      context.error(JSON.stringify({ level: "error", msg: "request could not be handled", invocationId: context.invocationId, error: errorForLog(error) }));
      return internalErrorResponse(context.invocationId);
    }
  };
}

/** An error for the log: its stack when it has one. Never sent to a client. */
export const errorForLog = (error: unknown): string => (error instanceof Error ? error.stack ?? error.message : String(error));
