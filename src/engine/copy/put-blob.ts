/**
 * PutBlob: one blob from a source repository into a target repository, streamed: source GET
 * -> sha256 check -> one monolithic upload (POST, then PUT with the digest). Nothing touches
 * disk and memory holds a few chunks.
 *
 * The session is opened with a mount of the blob from the target repository into itself
 * (RegistryClient.openUploadFor): when the repository holds the blob already, the registry
 * says so instead of opening a session, and nothing moves.
 *
 * Why monolithic: distribution invalidates an upload session whose PATCH is cut mid-body
 * (BLOB_UPLOAD_INVALID, then 404 on the status GET), so chunked uploads cannot resume there,
 * and every chunk costs a round trip. A broken upload restarts the blob; the source side
 * resumes on its own (./get-blob.ts).
 */
import { pipeline } from "node:stream";
import type { RegistryClient, RegistryError } from "../registry-client.js";
import { type BlobRef, getBlob } from "./get-blob.js";
import { verifyDigest } from "./verify-digest.js";

/** Options for {@link putBlob}. */
export interface PutBlobOptions {
  /** Deadline of one transfer attempt (the GET and the PUT each). */
  timeoutMs: number;
  /** How many times a broken source read resumes within one attempt. */
  resumes: number;
  /** Bytes that left the source for the target, as they move (for progress). */
  onBytes?: (n: number) => void;
  onResume?: (offset: number, error: RegistryError) => void;
  /** Whether the target repository may hold the blob already (false: it cannot, open a plain session). */
  askRepository: boolean;
}

/** Copy one blob; resolves once the target holds it under its digest: "present" when it did already. */
export async function putBlob(source: RegistryClient, sourceRepo: string, target: RegistryClient, targetRepo: string, blob: BlobRef, options: PutBlobOptions): Promise<"present" | "uploaded"> {
  const location = options.askRepository ? await target.openUploadFor(targetRepo, blob.digest) : await target.startUpload(targetRepo);
  if (location === "present") return "present";
  const reader = getBlob(source, sourceRepo, blob, { timeoutMs: options.timeoutMs, resumes: options.resumes, ...(options.onResume ? { onResume: options.onResume } : {}) });
  const body = pipeline(reader, verifyDigest(blob, source.registry, options.onBytes), () => undefined);
  try {
    await target.putUpload(targetRepo, location, blob.digest, blob.size, body, options.timeoutMs);
    return "uploaded";
  } catch (error) {
    // Stop reading the source. The session is left to the registry's upload purging: a DELETE
    // is one more request to a registry that is failing already.
    body.destroy();
    throw error;
  }
}
