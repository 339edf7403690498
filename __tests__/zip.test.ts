import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { inflateRawSync } from "node:zlib";
import { crc32, zipFolder } from "../constructs/zip";

/** Reads a zip through its central directory, the way unzip and the cloud platforms do. */
function readZip(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString("utf8", at + 46, at + 46 + nameLength);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const local = zip.readUInt32LE(at + 42);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = inflateRawSync(zip.subarray(dataStart, dataStart + compressed));
    expect(crc32(data)).toBe(crc);
    out.set(name, data);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return out;
}

describe("deterministic zip", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "zip-test-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("holds every file with its exact bytes and checksums", () => {
    writeFileSync(path.join(dir, "index.js"), "exports.handler = async () => 'ünïcode';\n".repeat(100));
    writeFileSync(path.join(dir, "host.json"), "{}");
    writeFileSync(path.join(dir, "empty.txt"), "");
    const files = readZip(zipFolder(dir));
    expect([...files.keys()]).toEqual(["empty.txt", "host.json", "index.js"]);
    expect(files.get("index.js")!.toString()).toBe("exports.handler = async () => 'ünïcode';\n".repeat(100));
    expect(files.get("empty.txt")!.length).toBe(0);
  });

  test("gives the same bytes for the same content, whatever the files' times", () => {
    writeFileSync(path.join(dir, "a.js"), "1");
    const first = zipFolder(dir);
    utimesSync(path.join(dir, "a.js"), new Date("2001-02-03"), new Date("2001-02-03"));
    expect(zipFolder(dir).equals(first)).toBe(true);
    writeFileSync(path.join(dir, "a.js"), "2");
    expect(zipFolder(dir).equals(first)).toBe(false);
  });
});
