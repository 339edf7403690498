import { MAX_JSON_DEPTH } from "../../contract";
import { InvalidJsonError, ValidationError } from "./errors";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** UTF-8 length of a string, bytes. */
export const byteLength = (text: string): number => encoder.encode(text).byteLength;

/**
 * The deepest nesting of objects and arrays in JSON text (the outermost value is level 1), counted
 * on the raw text before parsing, so a pathological body is refused before `JSON.parse` walks it.
 * Brackets inside strings do not count.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/**
 * Parses a request body that must be a JSON object in UTF-8, nested at most `MAX_JSON_DEPTH` levels
 * (the same limit on both clouds; Cosmos DB refuses documents deeper than 128).
 */
export function parseJsonObject(body: Uint8Array, maxDepth = MAX_JSON_DEPTH): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new InvalidJsonError("request body must be a JSON object in UTF-8");
  }
  const depth = jsonDepth(text);
  if (depth > maxDepth) throw new ValidationError(`request body is nested ${depth} levels deep; the limit is ${maxDepth}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidJsonError("request body must be a JSON object in UTF-8");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidJsonError("request body must be a JSON object");
  return value as Record<string, unknown>;
}
