/**
 * The native copier: copies an image registry to registry on mirrorbot's own client, blob by
 * blob (TryReusingBlob -> GetBlob -> PutBlob through one run-wide BlobScheduler), then
 * PutManifest. A failure costs the one blob or request it hit, which is retried alone; a
 * blob that landed stays in the ledger even when its image fails later.
 */
import type { BlobLedger } from "../blob-ledger.js";
import type { Registries } from "../registries.js";
import { type RegistryClient, RegistryError } from "../registry-client.js";
import { explain, type Resolution } from "../resolve.js";
import { isTransient, withRetry } from "../retry.js";
import type { SyncTask } from "../tasks.js";
import { BlobScheduler } from "./blob-scheduler.js";
import type { BlobRef } from "./get-blob.js";
import { putManifests } from "./put-manifest.js";
import { readSourceTree, type SourceTree } from "./source-tree.js";
import type { ReuseContext } from "./try-reusing-blob.js";

/** A target repository, named by its registry and path. */
export interface RepositoryRef {
  registry: string;
  repo: string;
}

/** How the native copier runs. */
export interface NativeCopierOptions {
  registries: Registries;
  ledgerFor: (registry: string) => BlobLedger;
  /** Blob transfers in flight at once, over all images; asked when the first blob moves. */
  blobLimit: () => number;
  retries: number;
  retryBaseMs: number;
  attemptTimeoutMs: number;
  /**
   * Target repositories outside this run (the rest of images.txt): a selective sync asks them
   * (blob HEADs) for blobs it would otherwise upload, so a shared base layer never crosses again.
   */
  peers?: RepositoryRef[];
  /**
   * Settles when every task's target tag has answered: until then, a tag found later may name
   * a repository that holds a blob a copy that already started is about to upload.
   */
  targetsAnswered?: Promise<unknown>;
  log: (fields: Record<string, unknown>, message: string) => void;
  describe: (error: unknown) => string;
}

/** What one copy did. */
export interface NativeCopyOutcome {
  status: "copied" | "failed";
  targetDigest: string | null;
  /** Bytes of every manifest and blob of the image; null when its manifests could not be read. */
  size: number | null;
  /** Blob bytes this copy uploaded (completed uploads), whether the copy succeeded or not. */
  bytes: number;
  error: string | null;
}

/**
 * How long uploads of blobs no repository is known to hold wait for the other entries' target
 * tags: one deadline for the run, from the first such upload. Copies start before every entry
 * is resolved, and a target tag that answers a little later may hold the blob (a shared base
 * layer): waiting a moment saves its bytes. The wait is bounded, and shared, so neither a
 * stalled HEAD nor a long list still resolving holds the copies up for long.
 */
const RESOLVE_GRACE_MS = 1000;
/** Peer repositories asked for one blob before it is uploaded. */
const MAX_PEERS = 32;
const PEER_PARALLEL = 8;

export class NativeCopier {
  private readonly scheduler: BlobScheduler;
  private readonly listings = new Map<string, Promise<boolean>>();
  private readonly withTags = new Set<string>();
  private readonly pendingLearn: Array<{ registry: string; repo: string; digest: string }> = [];
  private readonly learning: Array<Promise<void>> = [];
  private readonly locks = new Map<string, Promise<unknown>>();
  private started = false;
  /** The run's one wait for the target tags still unanswered (see RESOLVE_GRACE_MS). */
  private grace: Promise<void> | null = null;
  /** Blob bytes moved so far (streamed, retries included), for progress. */
  moved = 0;
  /** Copies in flight. */
  active = 0;

  constructor(private readonly options: NativeCopierOptions) {
    this.scheduler = new BlobScheduler({
      limit: options.blobLimit,
      retries: options.retries,
      retryBaseMs: options.retryBaseMs,
      attemptTimeoutMs: options.attemptTimeoutMs,
      onBytes: (n) => (this.moved += n),
      onRetry: (blob, error, attempt, delayMs) => options.log({ blob: blob.digest, attempt, delayMs, error: options.describe(error) }, "retrying blob"),
      onResume: (blob, offset, error) => options.log({ blob: blob.digest, offset, error: options.describe(error) }, "resuming download"),
    });
  }

  /**
   * A target repository holds `digest` under some tag (a task resolved it): its blobs are
   * read into the ledger once something must be copied, so a no-op run stays HEAD-only.
   */
  learn(registry: string, repo: string, digest: string): void {
    this.withTags.add(`${registry}/${repo}`);
    if (this.started) this.startLearning({ registry, repo, digest });
    else this.pendingLearn.push({ registry, repo, digest });
  }

  /**
   * Copy one resolved task. Never throws: a failure is an outcome. `planned` is the image as a
   * plan already read it (a sharded sync): then no manifest is read from the source again.
   */
  async copy(task: SyncTask, resolution: Extract<Resolution, { kind: "copy" }>, planned?: SourceTree): Promise<NativeCopyOutcome> {
    if (!this.started) {
      this.started = true;
      for (const item of this.pendingLearn.splice(0)) this.startLearning(item);
    }
    this.active++;
    let bytes = 0;
    let size: number | null = null;
    try {
      const digest = await withRetry(
        async () => {
          const tree = planned ?? (await readSourceTree(this.client(task.source.domain), task.source.path, resolution.sourceDigest, resolution.sourceManifest));
          size = tree.size;
          await this.moveBlobs(task, tree, resolution.targetDigest !== null, (n) => (bytes += n));
          // One push at a time per repository: distribution races when two copies PUT the same manifests into one.
          return this.locked(`${task.target.registry}/${task.targetRepo}`, () => putManifests(this.client(task.target.registry), task.targetRepo, task.targetTag, tree));
        },
        {
          retries: this.options.retries,
          baseMs: this.options.retryBaseMs,
          isTransient,
          onRetry: (error, attempt, delayMs) => this.options.log({ task: task.targetReference, attempt, delayMs, error: this.options.describe(error) }, "retrying copy"),
        },
      );
      if (digest !== resolution.sourceDigest) {
        return { status: "failed", targetDigest: digest, size, bytes, error: `digest mismatch after copy: expected ${resolution.sourceDigest}, the target stored ${digest}` };
      }
      return { status: "copied", targetDigest: digest, size, bytes, error: null };
    } catch (error) {
      return { status: "failed", targetDigest: null, size, bytes, error: this.explain(error, task) };
    } finally {
      this.active--;
    }
  }

  /** Every blob of the tree into the target repository, counting uploads as they land; rejects once all settled. */
  private async moveBlobs(task: SyncTask, tree: SourceTree, repoHadTag: boolean, onUploaded: (bytes: number) => void): Promise<void> {
    const target = this.reuseContext(task.target.registry);
    if (repoHadTag) this.withTags.add(`${task.target.registry}/${task.targetRepo}`);
    const source = this.client(task.source.domain);
    const outcomes = await Promise.allSettled(
      tree.blobs.map(async (blob: BlobRef) => {
        const how = await this.scheduler.ensure({ source, sourceRepo: task.source.path, target, targetRepo: task.targetRepo, blob, probe: true });
        if (how === "uploaded") onUploaded(blob.size);
      }),
    );
    // Every blob settles first, so one that fails does not hide the others that landed.
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed) throw failed.reason;
  }

  private reuseContext(registry: string): ReuseContext {
    return {
      client: this.client(registry),
      ledger: this.options.ledgerFor(registry),
      holdsImages: (repo) => this.holdsImages(registry, repo),
      probePeers: (digest, into) => this.probePeers(registry, digest, into),
      log: this.options.log,
      describe: this.options.describe,
    };
  }

  /** Whether a repository holds tagged images: known when a task found a tag there, else one short listing. */
  private holdsImages(registry: string, repo: string): Promise<boolean> {
    const key = `${registry}/${repo}`;
    if (this.withTags.has(key)) return Promise.resolve(true);
    let answer = this.listings.get(key);
    if (!answer) {
      // A listing that fails says nothing: assume images, checking is always safe.
      answer = this.client(registry).hasTags(repo).catch(() => true);
      this.listings.set(key, answer);
    }
    return answer;
  }

  /** Learn what the run's target manifests hold, then ask peer repositories, until one holds `digest`. */
  private async probePeers(registry: string, digest: string, into: string): Promise<void> {
    if (this.options.targetsAnswered) await (this.grace ??= settledWithin(this.options.targetsAnswered, RESOLVE_GRACE_MS));
    await Promise.all(this.learning);
    const ledger = this.options.ledgerFor(registry);
    if (ledger.sourceFor(digest, into) !== undefined) return;
    const peers = (this.options.peers ?? [])
      .filter((p) => p.registry === registry && p.repo !== into)
      .sort((a, b) => sharedSegments(b.repo, into) - sharedSegments(a.repo, into))
      .slice(0, MAX_PEERS);
    const client = this.client(registry);
    for (let i = 0; i < peers.length && ledger.sourceFor(digest, into) === undefined; i += PEER_PARALLEL) {
      await Promise.all(
        peers.slice(i, i + PEER_PARALLEL).map(async ({ repo }) => {
          try {
            if ((await this.holdsImages(registry, repo)) && (await client.headBlob(repo, digest))) ledger.record(digest, repo);
          } catch (error) {
            // Not knowing only costs bytes.
            this.options.log({ repository: repo, blob: digest, error: this.options.describe(error) }, "could not probe peer repository");
          }
        }),
      );
    }
  }

  private startLearning({ registry, repo, digest }: { registry: string; repo: string; digest: string }): void {
    const ledger = this.options.ledgerFor(registry);
    this.learning.push(
      readSourceTree(this.client(registry), repo, digest).then(
        (tree) => {
          for (const b of tree.blobs) ledger.record(b.digest, repo);
        },
        (error: unknown) => this.options.log({ repository: `${registry}/${repo}`, error: this.options.describe(error) }, "could not read target manifest"),
      ),
    );
  }

  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(fn);
    this.locks.set(key, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === run) this.locks.delete(key);
    }
  }

  private client(registry: string): RegistryClient {
    return this.options.registries.get(registry).client;
  }

  /** An error in words a person can act on: which side, and for auth, which variables to check. */
  private explain(error: unknown, task: SyncTask): string {
    if (error instanceof RegistryError) {
      const side = error.registry === task.target.registry ? "target" : "source";
      return this.options.describe(new Error(explain(error, side, task, this.options.registries)));
    }
    return this.options.describe(error);
  }
}

/** Wait for `promise` to settle, at most `ms`. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((done) => (timer = setTimeout(done, ms)))]);
  clearTimeout(timer);
}

/** How many leading path segments two repository names share. */
function sharedSegments(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return n;
}
