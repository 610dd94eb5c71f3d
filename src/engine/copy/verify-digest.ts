/**
 * Check a blob's sha256 while it streams. The last chunk is held back until the digest is
 * known: a corrupt blob never reaches the registry whole, so it is never committed even by a
 * registry that would not check the digest itself (distribution does, on the PUT).
 */
import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import { RegistryError } from "../registry-client.js";
import type { BlobRef } from "./get-blob.js";

/** A pass-through that fails with a transient RegistryError (code DIGEST_INVALID) when the bytes do not match `blob`. */
export function verifyDigest(blob: BlobRef, registry: string, onBytes: (n: number) => void = () => undefined): Transform {
  const [algorithm, expected] = blob.digest.split(":") as [string, string];
  // Other algorithms are left to the registry, which checks every digest it is given.
  const hash = algorithm === "sha256" ? createHash("sha256") : null;
  let held: Buffer | null = null;
  let length = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash?.update(chunk);
      length += chunk.length;
      onBytes(chunk.length);
      const previous = held;
      held = chunk;
      callback(null, previous ?? undefined);
    },
    flush(callback) {
      const actual = hash?.digest("hex");
      if (length !== blob.size || (actual !== undefined && actual !== expected)) {
        const what = length !== blob.size ? `${length} bytes instead of ${blob.size}` : `content of digest sha256:${actual}`;
        callback(new RegistryError(`${registry} sent ${blob.digest} with ${what}; not uploaded`, registry, null, "DIGEST_INVALID", true));
        return;
      }
      callback(null, held ?? undefined);
    },
  });
}
