import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { internalProblemResponse, type CellHandler, type CellRequest, type CellResponse, type Logger } from "../core";

/**
 * The AWS cell's primary adapter: API Gateway HTTP API events (payload format 2.0) in, structured
 * results out. It only translates; routing, verification and error mapping are the core's.
 *
 * The signature covers method, path, query and the exact body bytes, so nothing here normalises them:
 * `rawPath` and `rawQueryString` are passed through as received (the core canonicalises both sides the
 * same way), and the body is decoded from base64 when API Gateway encoded it (it does for every
 * content type it does not consider text) or taken as the UTF-8 bytes of the string otherwise.
 *
 * Paths: the `AwsCell` construct serves the API from the `$default` stage, where `rawPath` is the path
 * the router signed. A named stage would prefix `rawPath` with `/<stage>`; this adapter does not strip
 * it, so such a deployment would fail routing and signatures loudly rather than half-work.
 */

/** The Lambda handler type for an HTTP API `AWS_PROXY` integration with payload format 2.0. */
export type ApiGatewayHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const utf8 = new TextEncoder();

/**
 * Header names lower-cased (API Gateway already does; a hand-built event may not). API Gateway joins
 * repeated headers with commas, and so does this for names that differ only in case. It moves `Cookie`
 * headers into `cookies`; they are joined back into one `cookie` header, as HTTP/1.1 would send them.
 */
function lowerCaseHeaders(event: APIGatewayProxyEventV2): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]},${value}` : value;
  }
  if (event.cookies && event.cookies.length > 0 && headers.cookie === undefined) headers.cookie = event.cookies.join("; ");
  return headers;
}

/** The exact request body bytes. */
function bodyBytes(event: APIGatewayProxyEventV2): Uint8Array {
  if (!event.body) return new Uint8Array();
  if (event.isBase64Encoded) {
    const decoded = Buffer.from(event.body, "base64");
    // A copy into a plain Uint8Array: Buffers may be views into a shared pool.
    return new Uint8Array(decoded.buffer.slice(decoded.byteOffset, decoded.byteOffset + decoded.byteLength));
  }
  return utf8.encode(event.body);
}

/** Translates an API Gateway v2 event into the core's platform-neutral request. */
export function toCellRequest(event: APIGatewayProxyEventV2): CellRequest {
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.rawQueryString ?? "",
    headers: lowerCaseHeaders(event),
    body: bodyBytes(event),
  };
}

/** Translates the core's response into an API Gateway v2 structured result (JSON text, never base64). */
export function toApiGatewayResult(response: CellResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: response.status, headers: { ...response.headers }, body: response.body, isBase64Encoded: false };
}

/**
 * Wraps a core `CellHandler` into the Lambda handler API Gateway invokes. The core answers every
 * failure itself; should the translation or the core still throw, the caller gets a 500
 * `application/problem+json` that names the request id and nothing else, and the error goes to the log.
 */
export function apiGatewayHandler(handle: CellHandler, logger: Logger): ApiGatewayHandler {
  return async (event) => {
    try {
      return toApiGatewayResult(await handle(toCellRequest(event)));
    } catch (error) {
      const requestId = event.requestContext?.requestId ?? crypto.randomUUID();
      logger.log({ level: "error", msg: "unhandled error in the API Gateway adapter", requestId, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      return internalError(requestId);
    }
  };
}

/** A 500 problem answer for failures outside the core (the core maps its own): the core's `internalProblemResponse`. */
export const internalError = (requestId: string): APIGatewayProxyStructuredResultV2 => toApiGatewayResult(internalProblemResponse(requestId, "aws"));
