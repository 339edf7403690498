import { signatureHeaders, type SigningKey } from "../../contract";

export interface RequestSpec {
  readonly method: string;
  readonly path: string;
  readonly query?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
}

export interface SignOptions {
  readonly tenantId: string;
  readonly cellId: string;
  readonly key: SigningKey;
  readonly timestamp?: number;
  readonly nonce?: string;
}

export const bytes = (body: string | Uint8Array | undefined): Uint8Array =>
  body === undefined ? new Uint8Array() : typeof body === "string" ? new TextEncoder().encode(body) : body;

/** Adds the router's signature headers to a request, the way the edge router does. */
export async function signed(spec: RequestSpec, opts: SignOptions): Promise<RequestSpec> {
  const sig = await signatureHeaders(opts.key, {
    method: spec.method,
    path: spec.path,
    query: spec.query ?? "",
    body: bytes(spec.body),
    cellId: opts.cellId,
    tenantId: opts.tenantId,
    timestamp: opts.timestamp,
    nonce: opts.nonce,
  });
  return { ...spec, headers: { ...spec.headers, ...sig } };
}
