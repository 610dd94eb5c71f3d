/**
 * GetBlob: a source blob as a stream, read straight from the registry (never from disk). A
 * read that breaks (a reset, a stall, a short body) resumes where it stopped with a `Range`
 * GET, which distribution answers 206 with `Content-Range`; the consumer never sees the break.
 */
import { Readable } from "node:stream";
import { isTransientNetworkCode, RegistryError, type RegistryClient } from "../registry-client.js";

/** A blob by digest and size, as a manifest names it. */
export interface BlobRef {
  digest: string;
  size: number;
}

/** Options for {@link getBlob}. */
export interface GetBlobOptions {
  /** Deadline of one GET, body included. */
  timeoutMs: number;
  /** How many times a broken read may resume. */
  resumes: number;
  /** Called before each resume. */
  onResume?: (offset: number, error: RegistryError) => void;
}

/** Stream the blob's bytes from `repo`; errors are RegistryErrors that say whether a retry may help. */
export function getBlob(client: RegistryClient, repo: string, blob: BlobRef, options: GetBlobOptions): Readable {
  // Once the consumer is gone (its upload failed), a broken read is not resumed: nobody would read it.
  let gone = false;
  async function* chunks(): AsyncGenerator<Buffer> {
    let offset = 0;
    for (let resumes = 0; ; resumes++) {
      const res = await client.getBlob(repo, blob.digest, offset, options.timeoutMs);
      if (gone) {
        res.cancel();
        return;
      }
      // A registry that ignores Range sends the whole blob again: skip what was already passed on.
      let skip = offset > 0 && res.status === 200 ? offset : 0;
      if (offset > 0 && res.status === 206) {
        const start = /^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "")?.[1];
        if (start === undefined || Number(start) !== offset) {
          res.cancel();
          throw new RegistryError(`${client.registry} answered a range request for ${blob.digest} at byte ${offset} with Content-Range "${res.headers.get("content-range") ?? ""}"`, client.registry, 206, "RANGE_INVALID", false);
        }
      }
      const body = res.stream();
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          let piece = chunk;
          if (skip > 0) {
            if (piece.length <= skip) {
              skip -= piece.length;
              continue;
            }
            piece = piece.subarray(skip);
            skip = 0;
          }
          offset += piece.length;
          if (offset > blob.size) throw new RegistryError(`${client.registry} sent more than the ${blob.size} bytes of ${blob.digest}`, client.registry, res.status, "SIZE_INVALID", true);
          yield piece;
        }
        if (offset < blob.size) throw new RegistryError(`${client.registry} ended ${blob.digest} at byte ${offset} of ${blob.size}`, client.registry, res.status, "SHORT_READ", true);
        return;
      } catch (err) {
        body.destroy();
        const error = asRegistryError(err, client.registry, blob.digest, offset);
        if (gone || !error.transient || error.code === "SIZE_INVALID" || resumes >= options.resumes) throw error;
        options.onResume?.(offset, error);
      }
    }
  }
  const stream = Readable.from(chunks(), { objectMode: false });
  stream.on("close", () => (gone = true));
  return stream;
}

function asRegistryError(err: unknown, registry: string, digest: string, offset: number): RegistryError {
  if (err instanceof RegistryError) return err;
  const e = err as { code?: string; name?: string };
  const code = e.name === "StallError" ? "STALLED" : e.name === "TimeoutError" ? "TIMEOUT" : (e.code ?? null);
  return new RegistryError(`reading ${digest} from ${registry} broke at byte ${offset}: ${code ?? "network error"}`, registry, null, code, isTransientNetworkCode(code));
}
