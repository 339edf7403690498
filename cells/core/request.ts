/**
 * The platform-neutral HTTP shapes. Each cloud's primary adapter turns its event (API Gateway v2,
 * Functions v4 `HttpRequest`) into a `CellRequest` and a `CellResponse` back into its result type.
 */
export interface CellRequest {
  /** Upper- or lower-case; the core upper-cases it. */
  readonly method: string;
  /** Raw URL path, e.g. `/api/tenants/T-100/records`. */
  readonly path: string;
  /** Raw query string without `?`, empty when none. */
  readonly query: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body bytes (the signature covers them). */
  readonly body: Uint8Array;
}

export interface CellResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}
