/** An HTTP request as a local host received it (or as a test wants to send it). */
export interface LocalRequest {
  readonly method: string;
  /** Raw path, e.g. `/api/tenants/T-100/records`. */
  readonly path: string;
  /** Raw query string without `?`. */
  readonly query?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/** An HTTP answer, with header names lower-cased. */
export interface LocalReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Something that answers requests: a cell behind its platform's request shape. */
export type Responder = (request: LocalRequest & { readonly headers: Readonly<Record<string, string>>; readonly body: Uint8Array; readonly query: string }) => Promise<LocalReply>;

export const bodyBytes = (body: string | Uint8Array | undefined): Uint8Array =>
  body === undefined ? new Uint8Array() : typeof body === "string" ? new TextEncoder().encode(body) : body;
