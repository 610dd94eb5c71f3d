/**
 * Just enough of ZIP to take one small file out of an Actions artifact: the central
 * directory is read for names and sizes (local headers of streamed zips carry zeros), and
 * entries are stored or DEFLATE-compressed. No ZIP64, no encryption: a result.json is small.
 */
import { crc32, inflateRawSync } from "node:zlib";

/** A zip that cannot be read, or an entry that breaks the limits. */
export class ZipError extends Error {}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const STORED = 0;
const DEFLATE = 8;

/** One file in the central directory. */
interface CentralEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/**
 * The bytes of the file called `name` in `zip`, or null when the zip has no such file.
 * Throws ZipError when the zip is malformed or the file is bigger than `maxBytes`.
 */
export function readZipEntry(zip: Uint8Array, name: string, maxBytes: number): Buffer | null {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  const entry = centralDirectory(buf).find((e) => e.name === name);
  if (!entry) return null;
  if (entry.flags & 1) throw new ZipError(`${name} is encrypted`);
  if (entry.size > maxBytes) throw new ZipError(`${name} is ${entry.size} bytes, more than the ${maxBytes} allowed`);
  if (entry.localOffset + LOCAL_SIZE > buf.length || buf.readUInt32LE(entry.localOffset) !== LOCAL_SIGNATURE) {
    throw new ZipError(`no local header for ${name}`);
  }
  const start = entry.localOffset + LOCAL_SIZE + buf.readUInt16LE(entry.localOffset + 26) + buf.readUInt16LE(entry.localOffset + 28);
  const end = start + entry.compressedSize;
  if (end > buf.length) throw new ZipError(`${name} runs past the end of the zip`);
  const data = buf.subarray(start, end);
  let out: Buffer;
  if (entry.method === STORED) out = Buffer.from(data);
  else if (entry.method === DEFLATE) {
    try {
      out = inflateRawSync(data, { maxOutputLength: Math.max(maxBytes, 1) });
    } catch (err) {
      throw new ZipError(`cannot inflate ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else throw new ZipError(`${name} uses compression method ${entry.method}; only stored and DEFLATE are read`);
  if (out.length !== entry.size || crc32(out) >>> 0 !== entry.crc) throw new ZipError(`${name} is corrupt (size or CRC mismatch)`);
  return out;
}

function centralDirectory(buf: Buffer): CentralEntry[] {
  const eocd = findEndOfCentralDirectory(buf);
  const count = buf.readUInt16LE(eocd + 10);
  let offset = buf.readUInt32LE(eocd + 16);
  const entries: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + CENTRAL_SIZE > buf.length || buf.readUInt32LE(offset) !== CENTRAL_SIGNATURE) {
      throw new ZipError("the central directory is damaged");
    }
    const nameLength = buf.readUInt16LE(offset + 28);
    const extraLength = buf.readUInt16LE(offset + 30);
    const commentLength = buf.readUInt16LE(offset + 32);
    const compressedSize = buf.readUInt32LE(offset + 20);
    const size = buf.readUInt32LE(offset + 24);
    const localOffset = buf.readUInt32LE(offset + 42);
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) {
      throw new ZipError("ZIP64 archives are not supported");
    }
    entries.push({
      name: buf.toString("utf8", offset + CENTRAL_SIZE, offset + CENTRAL_SIZE + nameLength),
      flags: buf.readUInt16LE(offset + 8),
      method: buf.readUInt16LE(offset + 10),
      crc: buf.readUInt32LE(offset + 16),
      compressedSize,
      size,
      localOffset,
    });
    offset += CENTRAL_SIZE + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The end-of-central-directory record sits in the last 22 bytes plus a comment of up to 64 KiB. */
function findEndOfCentralDirectory(buf: Buffer): number {
  const stop = Math.max(0, buf.length - EOCD_SIZE - 0xffff);
  for (let i = buf.length - EOCD_SIZE; i >= stop; i--) {
    if (buf.readUInt32LE(i) === EOCD_SIGNATURE) return i;
  }
  throw new ZipError("not a zip file (no end of central directory)");
}
