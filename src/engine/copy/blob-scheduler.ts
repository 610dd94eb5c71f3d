/**
 * One scheduler for every blob of a run, across images: each missing blob crosses once (a copy
 * that needs a blob another copy is uploading waits for it, then mounts it), blobs of different
 * images move in parallel up to a limit, and a blob that landed is in the ledger whatever
 * becomes of the copy that moved it.
 */
import type { RegistryClient, RegistryError } from "../registry-client.js";
import { isTransient, withRetry } from "../retry.js";
import type { BlobRef } from "./get-blob.js";
import { putBlob } from "./put-blob.js";
import { type ReuseContext, tryReusingBlob } from "./try-reusing-blob.js";

/** How blob transfers run. */
export interface BlobSchedulerOptions {
  /** Blob transfers in flight at once, over all images; asked on each start. */
  limit: () => number;
  /** Extra attempts for one blob after a transient failure. */
  retries: number;
  retryBaseMs: number;
  /** Deadline of one transfer attempt. */
  attemptTimeoutMs: number;
  /** Bytes moving, for progress. */
  onBytes?: (n: number) => void;
  onRetry?: (blob: BlobRef, error: unknown, attempt: number, delayMs: number) => void;
  onResume?: (blob: BlobRef, offset: number, error: RegistryError) => void;
}

/** Where one blob comes from and goes to. */
export interface BlobMove {
  source: RegistryClient;
  sourceRepo: string;
  target: ReuseContext;
  targetRepo: string;
  blob: BlobRef;
  /** Whether the target repository may hold blobs already (false for a repository this run created): its peers and itself are asked. */
  probe: boolean;
}

/** How a blob came to be in the target repository. */
export type BlobOutcome = "present" | "mounted" | "uploaded";

/** Waiting for another copy's upload is bounded: after this many, upload it ourselves. */
const MAX_WAITS = 3;

export class BlobScheduler {
  private readonly uploads = new Map<string, Promise<"present" | "uploaded">>();
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly options: BlobSchedulerOptions) {}

  /** Make `move.blob` present in the target repository, uploading it only when no copy of it is there or on its way. */
  async ensure(move: BlobMove): Promise<BlobOutcome> {
    const key = `${move.target.client.registry}@${move.blob.digest}`;
    for (let waits = 0; ; waits++) {
      const reused = await tryReusingBlob(move.target, move.targetRepo, move.blob, move.probe && waits === 0);
      if (reused !== "missing") return reused;
      const pending = this.uploads.get(key);
      if (pending && waits < MAX_WAITS) {
        // Another copy is moving these bytes: wait, then mount from where they landed.
        await pending.catch(() => undefined);
        continue;
      }
      const upload = this.upload(move);
      this.uploads.set(key, upload);
      try {
        return await upload;
      } finally {
        if (this.uploads.get(key) === upload) this.uploads.delete(key);
      }
    }
  }

  private async upload(move: BlobMove): Promise<"present" | "uploaded"> {
    await this.acquire();
    try {
      const outcome = await withRetry(
        () =>
          putBlob(move.source, move.sourceRepo, move.target.client, move.targetRepo, move.blob, {
            timeoutMs: this.options.attemptTimeoutMs,
            resumes: this.options.retries + 2,
            askRepository: move.probe,
            ...(this.options.onBytes ? { onBytes: this.options.onBytes } : {}),
            onResume: (offset, error) => this.options.onResume?.(move.blob, offset, error),
          }),
        {
          retries: this.options.retries,
          baseMs: this.options.retryBaseMs,
          isTransient,
          onRetry: (error, attempt, delayMs) => this.options.onRetry?.(move.blob, error, attempt, delayMs),
        },
      );
      // Recorded here, not when the image finishes: a later failure of the image does not undo it.
      move.target.ledger.record(move.blob.digest, move.targetRepo);
      return outcome;
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.options.limit()) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.active--;
  }
}
