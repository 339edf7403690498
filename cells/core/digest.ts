import { sha256Hex } from "../../contract";
import { isTombstone, type RecordItem } from "./records";

/** JSON with object keys sorted at every level, so equal data hashes equally whatever order a store returns keys in. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(",")}}`;
}

const MOD = 1n << 256n;

/** SHA-256 (hex) of one item's id, version, deletion flag and canonical data: its share of a tenant's digest. */
export async function itemHash(item: RecordItem): Promise<string> {
  const deleted = isTombstone(item);
  return sha256Hex(`${item.recordId}\n${item.version}\n${deleted ? 1 : 0}\n${deleted ? "" : canonicalJson(item.data)}`);
}


/**
 * An order-independent digest of a tenant's items: the sum, modulo 2^256, of SHA-256 over each item's
 * id, version, deletion flag and canonical data. Two copies with the same items give the same digest
 * whatever order they are read in; a changed, missing or extra item changes it.
 */
export class TenantDigest {
  private sum = 0n;
  count = 0;
  tombstones = 0;

  async add(item: RecordItem): Promise<void> {
    if (isTombstone(item)) this.tombstones++;
    else this.count++;
    this.sum = (this.sum + BigInt(`0x${await itemHash(item)}`)) % MOD;
  }

  get hash(): string {
    return this.sum.toString(16).padStart(64, "0");
  }
}
