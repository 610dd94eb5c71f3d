/**
 * PutBlob: one blob from a source repository into a target repository, streamed: source GET
 * -> sha256 check -> one monolithic upload (POST, then PUT with the digest). Nothing touches
 * disk and memory holds a few chunks.
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
}

/** Copy one blob; resolves once the target stored it under its digest. */
export async function putBlob(source: RegistryClient, sourceRepo: string, target: RegistryClient, targetRepo: string, blob: BlobRef, options: PutBlobOptions): Promise<void> {
  const location = await target.startUpload(targetRepo);
  const reader = getBlob(source, sourceRepo, blob, { timeoutMs: options.timeoutMs, resumes: options.resumes, ...(options.onResume ? { onResume: options.onResume } : {}) });
  const body = pipeline(reader, verifyDigest(blob, source.registry, options.onBytes), () => undefined);
  try {
    await target.putUpload(targetRepo, location, blob.digest, blob.size, body, options.timeoutMs);
  } catch (error) {
    // Stop reading the source. The session is left to the registry's upload purging: a DELETE
    // is one more request to a registry that is failing already.
    body.destroy();
    throw error;
  }
}
