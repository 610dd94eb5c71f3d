import { describe, expect, it } from "vitest";
import { readZipEntry, ZipError } from "../../src/app/zip.js";
import { buildZip } from "./helpers/zip.js";

describe("readZipEntry", () => {
  const json = JSON.stringify({ hello: "world".repeat(100) });

  it("reads a DEFLATE entry of a streamed zip", () => {
    const zip = buildZip({ "other.txt": "x", "result.json": json });
    expect(readZipEntry(zip, "result.json", 1 << 20)?.toString()).toBe(json);
  });

  it("reads a stored entry", () => {
    expect(readZipEntry(buildZip({ "result.json": json }, 0), "result.json", 1 << 20)?.toString()).toBe(json);
  });

  it("is null when the entry is missing", () => {
    expect(readZipEntry(buildZip({ "a.txt": "a" }), "result.json", 100)).toBeNull();
  });

  it("refuses entries over the limit, corrupt data and non-zips", () => {
    const zip = buildZip({ "result.json": json });
    expect(() => readZipEntry(zip, "result.json", 10)).toThrow(new ZipError(`result.json is ${json.length} bytes, more than the 10 allowed`));
    const corrupt = Buffer.from(zip);
    corrupt.writeUInt32LE(0xdeadbeef, corrupt.length - 22 - 46 - "result.json".length + 16); // the central CRC
    expect(() => readZipEntry(corrupt, "result.json", 1 << 20)).toThrow("result.json is corrupt (size or CRC mismatch)");
    expect(() => readZipEntry(Buffer.from("not a zip at all, just some text"), "result.json", 100)).toThrow(
      "not a zip file (no end of central directory)",
    );
  });
});
