import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ApiGatewayHandler } from "../../cells/aws/api-gateway";
import { apiGatewayEvent } from "./api-gateway-event";
import type { LocalReply, Responder } from "./local-request";

/** What API Gateway sends back to the caller for a Lambda proxy result. */
export function apiGatewayReply(result: APIGatewayProxyStructuredResultV2): LocalReply {
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  const body = result.body ?? "";
  return { status: result.statusCode ?? 200, headers, body: result.isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body };
}

/** The real Lambda handler behind a local stand-in for API Gateway: HTTP in, payload 2.0 events to the handler. */
export const awsCellResponder =
  (handler: ApiGatewayHandler): Responder =>
  async (request) =>
    apiGatewayReply(await handler(apiGatewayEvent(request)));
