import { Headers } from "./headers";

/**
 * The edge-to-cell request signature: HMAC-SHA256 over a canonical string, with Web Crypto only,
 * so the router (workerd) and the cells (Lambda, Azure Functions, Node) run this same code.
 *
 * Canonical string, fields joined by "\n":
 *
 *     EDGE-HMAC-SHA256-V1
 *     <METHOD upper-case>
 *     <canonical path>
 *     <canonical query>
 *     <cell id>
 *     <tenant id>
 *     <timestamp, unix seconds>
 *     <nonce>
 *     <hex SHA-256 of the body bytes>
 *
 * Path and query are canonicalised (segments and parameters decoded, re-encoded per RFC 3986, query
 * parameters sorted) so that platforms which re-encode URLs differently still agree on the string.
 */

export const SIGNATURE_SCHEME = "EDGE-HMAC-SHA256-V1";

export interface SignedFields {
  readonly method: string;
  /** URL path, e.g. `/api/tenants/T-100/records/r1`. */
  readonly path: string;
  /** Raw query string without the leading `?` (may be empty). */
  readonly query: string;
  readonly cellId: string;
  readonly tenantId: string;
  /** Unix time in seconds. */
  readonly timestamp: number;
  readonly nonce: string;
  readonly body: Uint8Array;
}

const encoder = new TextEncoder();

/** RFC 3986 unreserved characters stay, everything else is percent-encoded (upper-case hex). */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a malformed escape signs as-is; both sides see the same raw text
  }
}

export function canonicalPath(path: string): string {
  return path.split("/").map((segment) => encodeRfc3986(safeDecode(segment))).join("/");
}

export function canonicalQuery(query: string): string {
  const raw = query.startsWith("?") ? query.slice(1) : query;
  const pairs: Array<[string, string]> = [];
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? "" : part.slice(eq + 1);
    pairs.push([encodeRfc3986(safeDecode(key.replace(/\+/g, " "))), encodeRfc3986(safeDecode(value.replace(/\+/g, " ")))]);
  }
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array | undefined {
  if (!/^(?:[0-9a-f]{2})+$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export async function sha256Hex(body: Uint8Array | string): Promise<string> {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

/** Builds the canonical string. Throws if a field could break the line structure (a newline in an id). */
export async function canonicalString(fields: SignedFields): Promise<string> {
  for (const [name, value] of [["cellId", fields.cellId], ["tenantId", fields.tenantId], ["nonce", fields.nonce], ["method", fields.method]] as const) {
    if (/[\r\n]/.test(value)) throw new Error(`${name} must not contain line breaks`);
  }
  if (!Number.isSafeInteger(fields.timestamp)) throw new Error("timestamp must be an integer number of seconds");
  return [
    SIGNATURE_SCHEME,
    fields.method.toUpperCase(),
    canonicalPath(fields.path),
    canonicalQuery(fields.query),
    fields.cellId,
    fields.tenantId,
    String(fields.timestamp),
    fields.nonce,
    await sha256Hex(fields.body),
  ].join("\n");
}

type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

async function hmacKey(secret: string, usage: "sign" | "verify"): Promise<HmacKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

/** Lower-case hex HMAC-SHA256 of the canonical string. */
export async function computeSignature(secret: string, fields: SignedFields): Promise<string> {
  const key = await hmacKey(secret, "sign");
  return toHex(await crypto.subtle.sign("HMAC", key, encoder.encode(await canonicalString(fields))));
}

/** Constant-time check (Web Crypto's `verify`) of a hex signature against the canonical string. */
export async function verifySignature(secret: string, fields: SignedFields, signatureHex: string): Promise<boolean> {
  const signature = fromHex(signatureHex);
  if (!signature || signature.length !== 32) return false;
  const key = await hmacKey(secret, "verify");
  return crypto.subtle.verify("HMAC", key, signature, encoder.encode(await canonicalString(fields)));
}

/** 128 random bits, hex. */
export function newNonce(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)).buffer as ArrayBuffer);
}

export interface SigningKey {
  readonly keyId: string;
  readonly secret: string;
}

/**
 * The headers the router adds to a forwarded request. `timestamp` and `nonce` default to now and a
 * fresh random value; tests pass them to get known answers.
 */
export async function signatureHeaders(
  key: SigningKey,
  request: Omit<SignedFields, "timestamp" | "nonce"> & { timestamp?: number; nonce?: string },
): Promise<Record<string, string>> {
  const fields: SignedFields = {
    ...request,
    timestamp: request.timestamp ?? Math.floor(Date.now() / 1000),
    nonce: request.nonce ?? newNonce(),
  };
  return {
    [Headers.cellId]: fields.cellId,
    [Headers.tenantId]: fields.tenantId,
    [Headers.timestamp]: String(fields.timestamp),
    [Headers.nonce]: fields.nonce,
    [Headers.keyId]: key.keyId,
    [Headers.signature]: await computeSignature(key.secret, fields),
  };
}
