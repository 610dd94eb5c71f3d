/**
 * TryReusingBlob: make a blob present in a target repository without moving its bytes: the
 * ledger knows the repository holds it, or the registry can mount it from another repository
 * the ledger or a peer probe knows of. Whether the repository itself holds it already (a run
 * killed after uploading but before tagging left blobs no tag lists) is asked by PutBlob when
 * it opens the upload (./put-blob.ts): that costs no request of its own, where a HEAD here
 * would cost one for every blob of a cold run.
 */
import type { BlobLedger } from "../blob-ledger.js";
import type { RegistryClient } from "../registry-client.js";
import type { BlobRef } from "./get-blob.js";

/** What the target knows and how to ask it. */
export interface ReuseContext {
  client: RegistryClient;
  ledger: BlobLedger;
  /** Whether a repository of this registry holds tagged images (a blob HEAD elsewhere finds nothing). */
  holdsImages: (repo: string) => Promise<boolean>;
  /** Before giving up: ask other repositories the ledger does not know about (selective syncs). */
  probePeers: (digest: string, into: string) => Promise<void>;
  log: (fields: Record<string, unknown>, message: string) => void;
  describe: (error: unknown) => string;
}

/** How many repositories are asked to lend one blob before it is uploaded. */
const MOUNT_ATTEMPTS = 3;

/**
 * "present" or "mounted" when `repo` now holds the blob, "missing" when it must be uploaded.
 * `probe` false skips the peer questions already asked for this blob (after waiting on another upload).
 */
export async function tryReusingBlob(ctx: ReuseContext, repo: string, blob: BlobRef, probe: boolean): Promise<"present" | "mounted" | "missing"> {
  const { ledger, client } = ctx;
  if (ledger.has(blob.digest, repo)) return "present";
  if (probe && ledger.sourceFor(blob.digest, repo) === undefined) await ctx.probePeers(blob.digest, repo);
  for (let attempt = 0; attempt < MOUNT_ATTEMPTS; attempt++) {
    const from = ledger.sourceFor(blob.digest, repo);
    if (from === undefined) break;
    try {
      if (await client.mountBlob(repo, blob.digest, from)) {
        ledger.record(blob.digest, repo);
        return "mounted";
      }
      ctx.log({ blob: blob.digest, from, to: repo }, "mount refused");
    } catch (error) {
      // A failed mount only costs bytes; a registry's error text can echo headers, so it is scrubbed.
      ctx.log({ blob: blob.digest, from, to: repo, error: ctx.describe(error) }, "mount failed");
    }
    ledger.refuse(blob.digest, from);
  }
  return "missing";
}
