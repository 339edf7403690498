import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { bodyBytes, type LocalRequest } from "./local-request";

/**
 * Builds API Gateway HTTP API events (payload format 2.0, `$default` route and stage) the way API
 * Gateway delivers them to Lambda. Used by the local sandbox's AWS cell host and by the contract suites:
 * - header names lower-cased, repeated headers joined with commas, `Cookie` moved into `cookies`;
 * - the headers API Gateway adds (`host`, `x-forwarded-*`, `x-amzn-trace-id`, `content-length`);
 * - `queryStringParameters` decoded, repeated names joined with commas, absent without a query;
 * - the body as text only when the content type is one API Gateway treats as text and the bytes are
 *   valid UTF-8; otherwise base64 with `isBase64Encoded: true`, as API Gateway does for binary bodies.
 */

export interface EventOptions {
  readonly apiId?: string;
  readonly region?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly requestId?: string;
  /** Epoch ms of the request; defaults to now. */
  readonly timeEpoch?: number;
  /** How to carry the body: as API Gateway would for its content type (default), or forced. */
  readonly bodyEncoding?: "auto" | "base64" | "text";
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** `01/Jun/2026:12:00:00 +0000`, API Gateway's CLF-style `requestContext.time`. */
export function clfTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** Content types API Gateway passes to Lambda as text; everything else arrives base64-encoded. */
const isTextContentType = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^(text\/[^;]+|application\/([a-z0-9.+-]*\+)?(json|xml)|application\/(javascript|x-www-form-urlencoded))\s*(;|$)/i.test(contentType.trim());

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
function asUtf8(body: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(body);
  } catch {
    return undefined;
  }
}

function decodeQueryPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, " "));
  } catch {
    return part;
  }
}

function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === "") return undefined;
  const params: Record<string, string> = {};
  for (const part of rawQueryString.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = decodeQueryPart(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? "" : decodeQueryPart(part.slice(eq + 1));
    params[name] = name in params ? `${params[name]},${value}` : value;
  }
  return params;
}

let sequence = 0;

/** An API Gateway v2 event for `spec`, as the HTTP API's `$default` stage would invoke the Lambda with it. */
export function apiGatewayEvent(spec: LocalRequest, options: EventOptions = {}): APIGatewayProxyEventV2 {
  const apiId = options.apiId ?? "a1b2c3d4e5";
  const region = options.region ?? "us-east-1";
  const domainName = `${apiId}.execute-api.${region}.amazonaws.com`;
  const sourceIp = options.sourceIp ?? "198.51.100.7";
  const userAgent = options.userAgent ?? "edge-router/1.0";
  const timeEpoch = options.timeEpoch ?? Date.now();
  const requestId = options.requestId ?? `Ab${(++sequence).toString(36).padStart(6, "0")}EEMEw=`;
  const rawQueryString = spec.query ?? "";
  const body = bodyBytes(spec.body);

  const headers: Record<string, string> = {
    host: domainName,
    "user-agent": userAgent,
    "x-amzn-trace-id": `Root=1-${Math.floor(timeEpoch / 1000).toString(16)}-0123456789abcdef01234567`,
    "x-forwarded-for": sourceIp,
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
  };
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    const key = name.toLowerCase();
    if (key === "cookie") {
      cookies = [...(cookies ?? []), ...value.split(/;\s*/).filter(Boolean)];
      continue;
    }
    headers[key] = key in headers && !["host", "user-agent"].includes(key) ? `${headers[key]},${value}` : value;
  }
  if (spec.body !== undefined) headers["content-length"] = String(body.byteLength);

  const encoding = options.bodyEncoding ?? "auto";
  const text = encoding === "base64" ? undefined : encoding === "text" || isTextContentType(headers["content-type"]) ? asUtf8(body) : undefined;
  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey: "$default",
    rawPath: spec.path,
    rawQueryString,
    headers,
    requestContext: {
      accountId: "123456789012",
      apiId,
      domainName,
      domainPrefix: apiId,
      http: { method: spec.method.toUpperCase(), path: spec.path, protocol: "HTTP/1.1", sourceIp, userAgent: headers["user-agent"] ?? userAgent },
      requestId,
      routeKey: "$default",
      stage: "$default",
      time: clfTime(timeEpoch),
      timeEpoch,
    },
    isBase64Encoded: false,
  };
  if (cookies) event.cookies = cookies;
  const query = queryParameters(rawQueryString);
  if (query) event.queryStringParameters = query;
  if (body.byteLength > 0) {
    if (text !== undefined) event.body = text;
    else {
      event.body = Buffer.from(body).toString("base64");
      event.isBase64Encoded = true;
    }
  }
  return event;
}
