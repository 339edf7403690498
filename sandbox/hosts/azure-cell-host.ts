import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { randomUUID } from "node:crypto";
import type { AzureHttpHandler } from "../../cells/azure/functions-http";
import type { LocalReply, LocalRequest, Responder } from "./local-request";

/** A request as the Functions host hands it to the Node worker: a real v4 `HttpRequest`. */
export function functionsHttpRequest(request: LocalRequest, origin: string): HttpRequest {
  const query = request.query ? `?${request.query}` : "";
  const body = request.body === undefined ? undefined : typeof request.body === "string" ? { string: request.body } : { bytes: request.body };
  return new HttpRequest({ method: request.method, url: `${origin}${request.path}${query}`, headers: { ...request.headers }, body });
}

/** What the worker sends back to the host: the library's own `HttpResponse` conversion of the handler's result. */
export async function functionsReply(init: HttpResponseInit): Promise<LocalReply> {
  const response = new HttpResponse(init);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  return { status: response.status, headers, body: await response.text() };
}

/** A real `InvocationContext`; log lines go to `log` (default: dropped). */
export const invocationContext = (log: (level: string, ...args: unknown[]) => void = () => {}) =>
  new InvocationContext({ invocationId: randomUUID(), functionName: "cell", logHandler: log });

/** The real Functions v4 handler behind a local stand-in for the Functions host. */
export const azureCellResponder =
  (handler: AzureHttpHandler, origin = "https://localhost"): Responder =>
  async (request) =>
    functionsReply(await handler(functionsHttpRequest(request, origin), invocationContext()));
