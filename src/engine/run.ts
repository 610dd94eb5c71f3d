import type { Copier } from "../domain/config.js";
import { canonical } from "../domain/reference.js";
import { formatPlatform } from "../domain/platform.js";
import { BlobLedger } from "./blob-ledger.js";
import { NativeCopier, type RepositoryRef } from "./copy/native-copier.js";
import type { PlatformCache } from "./platform-cache.js";
import type { SourceTree } from "./copy/source-tree.js";
import type { Progress } from "./progress.js";
import { redact } from "./redact.js";
import type { Registries } from "./registries.js";
import type { RegistryClient } from "./registry-client.js";
import { RepositoryProbe } from "./repository-probe.js";
import { explainCopyFailure, readBlobs, type Resolution, resolveTask } from "./resolve.js";
import type { TaskResult } from "./result.js";
import { isTransient, type RetryOptions, withRetry } from "./retry.js";
import { type BlobNeed, blobsToUpload, pickNext, repositoryKey } from "./schedule.js";
import { type CopyRequest, prepareCopies, SkopeoError, skopeoCopy } from "./skopeo.js";
import { diagnoseSkopeoFailure } from "./skopeo-diagnosis.js";
import type { SyncTask } from "./tasks.js";

/** How a sync runs. */
export interface RunOptions {
  tasks: SyncTask[];
  registries: Registries;
  progress: Progress;
  /** Copy even when the target digest equals the source digest. */
  force?: boolean;
  /** Plan only: resolve digests and report what would be copied; send no writes. */
  dryRun?: boolean;
  /** Copies in flight at once (HEADs run wider); "auto" picks by the source's latency. */
  concurrency?: number | "auto";
  /** Extra attempts for transient failures. */
  retries?: number;
  /** First backoff delay; tests shrink it. */
  retryBaseMs?: number;
  /** Structured log for details that do not belong on the progress lines. */
  log?: (fields: Record<string, unknown>, message: string) => void;
  /** Extra environment for skopeo. */
  skopeoEnv?: Record<string, string>;
  /** Use this copier for every target, whatever each target's `copier` says. */
  copier?: Copier;
  /** The stall clock: no byte moved for this long cuts a request (native copier). Default 60 s. */
  stallTimeoutMs?: number;
  /** The overall clock of one blob transfer attempt (native copier). Default 1 h. */
  attemptTimeoutMs?: number;
  /** Target repositories of images.txt outside this run, asked for blobs before uploading them (selective syncs). */
  peers?: RepositoryRef[];
  /** How often a line reports bytes moving while copies run; 0 turns it off. Default 10 s. */
  progressIntervalMs?: number;
  /** Platform manifests of source indexes read in earlier runs (saves a source GET per platform entry). */
  platforms?: PlatformCache;
  /**
   * What a plan (`mirrorbot plan --shards`) already decided and read, by task id: such a task
   * is not resolved again, and a copy takes the manifests the plan read instead of reading
   * them from the source again (Docker Hub counts every manifest GET as a pull).
   */
  planned?: ReadonlyMap<number, PlannedDecision>;
  /** Blobs already in target repositories before the run (a plan's seed step put them there): mounted, not uploaded. */
  knownBlobs?: ReadonlyArray<{ registry: string; repo: string; digest: string }>;
}

/** A task's decision and, for a copy, the image as the plan read it, made before the run. */
export interface PlannedDecision {
  resolution: Resolution;
  /** A copy's manifests (push order) and blobs, as read from the source while planning. */
  tree?: SourceTree;
}

/** What a dry run would do with a task. */
export interface DryRunLine {
  task: SyncTask;
  resolution: Resolution;
}

/**
 * Tasks resolved at once (each sends its source and target HEAD together). Measured on
 * loopback with 200 entries: 8 -> 1.7 s, 32 -> 1.0 s, 64 -> 1.0 s; distribution closes the
 * connection after every HEAD, so each one pays a connect, and over a WAN a round trip too.
 */
const RESOLVE_CONCURRENCY = 32;

type SourceBlobs = Awaited<ReturnType<typeof readBlobs>>;

interface CopyJob {
  id: number;
  target: string;
  task: SyncTask;
  repo: string;
  ledger: BlobLedger;
  blobs: BlobNeed[];
  size: number;
  resolution: Extract<Resolution, { kind: "copy" }>;
  startedAt: number;
}

/**
 * The pipeline: resolve (HEAD digests) -> learn where target blobs live -> schedule copies so
 * no two in flight upload the same blob -> premount known blobs -> skopeo copy -> check that the
 * digest skopeo pushed is the source's.
 * One task's failure never stops the others. Returns one result per task, in task order.
 */
export async function runSync(options: RunOptions): Promise<{ results: TaskResult[]; dryRun: DryRunLine[] }> {
  const { tasks, registries, progress } = options;
  const log = options.log ?? (() => undefined);
  const results = new Map<number, TaskResult>();
  const startedAt = new Map<number, number>();
  const finish = (result: TaskResult, id: number) => {
    results.set(id, result);
    progress.done(result);
  };

  // 1. Resolve every task with HEADs, wide: they are cheap and latency-bound. A task that
  //    must be copied starts reading its source manifests (and, for a tag the target lacks,
  //    asking whether its repository holds images) at once, overlapping the others' HEADs
  //    instead of waiting for all of them.
  const sourceReads = new Map<number, Promise<SourceBlobs>>();
  const repositories = new RepositoryProbe(registries);
  configureRequests(tasks, registries, options);
  const ledgers = new Map<string, BlobLedger>();
  const ledgerFor = (registry: string) => ledgers.get(registry) ?? ledgers.set(registry, new BlobLedger()).get(registry)!;
  for (const known of options.knownBlobs ?? []) ledgerFor(known.registry).record(known.digest, known.repo);
  const copierOf = (task: SyncTask): Copier => options.copier ?? task.target.copier ?? "native";
  // Every task's target tag answered: from then on the ledger knows every target manifest of the run.
  let allTargetsAnswered = () => {};
  const targetsAnswered = new Promise<void>((done) => (allTargetsAnswered = done));
  const answered = new Set<number>();
  const native = new NativeCopier({
    targetsAnswered,
    registries,
    ledgerFor,
    blobLimit: () => blobTransfers(options.concurrency ?? "auto"),
    retries: options.retries ?? 3,
    retryBaseMs: options.retryBaseMs ?? 1000,
    attemptTimeoutMs: options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
    ...(options.peers ? { peers: options.peers } : {}),
    log,
    describe: (error) => describeError(error, registries),
  });
  // Images in flight: enough that one image's manifest reads overlap the others' blobs.
  const images = limiter(IMAGES_IN_FLIGHT);
  const nativeCopies: Array<Promise<void>> = [];
  const ticker = transferTicker(native, progress, options.progressIntervalMs ?? PROGRESS_INTERVAL_MS);
  /** A task's target tag answered (a digest, or null when it is missing or could not be read); once per task. */
  const targetAnswer = (task: SyncTask, digest: string | null): void => {
    if (answered.has(task.id)) return;
    answered.add(task.id);
    if (digest && !options.dryRun) native.learn(task.target.registry, task.targetRepo, digest);
    if (answered.size === tasks.length) allTargetsAnswered();
  };
  const resolving = mapLimit(tasks, RESOLVE_CONCURRENCY, async (task) => {
    startedAt.set(task.id, Date.now());
    progress.start({ source: canonical(task.source), target: task.targetReference });
    const planned = options.planned?.get(task.id);
    const resolution = planned?.resolution ?? (await resolveWithRetry(task, registries, options, (digest) => targetAnswer(task, digest)));
    targetAnswer(task, resolution.kind === "fail" ? null : resolution.targetDigest);
    if (resolution.kind !== "fail" && resolution.targetDigest) repositories.found(task);
    if (resolution.kind === "copy" && !options.dryRun && copierOf(task) === "native") {
      // Started now, not after every entry resolved: no copy waits behind the slowest HEAD.
      nativeCopies.push(
        images(() => native.copy(task, resolution, planned?.tree)).then((outcome) =>
          finish({ ...identity(task), sourceDigest: resolution.sourceDigest, ...outcome, durationMs: Date.now() - startedAt.get(task.id)! }, task.id),
        ),
      );
    } else if (resolution.kind === "copy" && !options.dryRun) {
      prepareCopies();
      if (!resolution.targetDigest) repositories.prefetch(task);
      const read = planned?.tree
        ? Promise.resolve({ blobs: planned.tree.blobs, size: planned.tree.size })
        : withRetry(() => readBlobs(registries, task.source.domain, task.source.path, resolution.sourceDigest), retryPolicy(task, registries, options));
      read.catch(() => undefined); // awaited in step 3, which reports the failure
      sourceReads.set(task.id, read);
    }
    return resolution;
  });
  const resolutions = await resolving.finally(allTargetsAnswered);

  if (options.dryRun) {
    ticker.stop();
    return { results: [], dryRun: tasks.map((task, i) => ({ task, resolution: resolutions[i]! })) };
  }

  const copies: Array<{ task: SyncTask; resolution: Extract<Resolution, { kind: "copy" }> }> = [];
  tasks.forEach((task, i) => {
    const r = resolutions[i]!;
    if (r.kind === "skip") finish(baseResult(task, startedAt, { status: "skipped", sourceDigest: r.sourceDigest, targetDigest: r.targetDigest }), task.id);
    else if (r.kind === "fail") finish(baseResult(task, startedAt, { status: "failed", sourceDigest: r.sourceDigest, error: redact(r.error, registries.secrets) }), task.id);
    else if (copierOf(task) === "skopeo") copies.push({ task, resolution: r });
  });

  if (copies.length > 0) {
    // The skopeo copier's path. 2. Learn where blobs already live on each target from manifests the target holds now.
    //    Only done when something must be copied, so a no-op run stays HEAD-only.
    await learnTargetBlobs(tasks, resolutions, registries, ledgerFor, log);

    // 3. Take what each copy needs (read in step 1); in a repository that already holds
    //    images, HEAD the blobs the ledger cannot vouch for (a sibling tag not in the list
    //    may share layers).
    const jobs: CopyJob[] = [];
    await mapLimit(copies, RESOLVE_CONCURRENCY, async ({ task, resolution }) => {
      try {
        const source = await sourceReads.get(task.id)!;
        const ledger = ledgerFor(task.target.registry);
        const unknown = source.blobs.filter((b) => !ledger.has(b.digest, task.targetRepo) && ledger.sourceFor(b.digest) === undefined);
        if (unknown.length > 0 && (await repositories.holdsImages(task))) {
          const { client } = registries.get(task.target.registry);
          await mapLimit(unknown, 8, async (b) => {
            if (await client.headBlob(task.targetRepo, b.digest)) ledger.record(b.digest, task.targetRepo);
          });
        }
        jobs.push({ id: task.id, target: task.target.registry, task, repo: task.targetRepo, ledger, blobs: source.blobs, size: source.size, resolution, startedAt: startedAt.get(task.id)! });
      } catch (error) {
        finish(baseResult(task, startedAt, { status: "failed", sourceDigest: resolution.sourceDigest, error: describeError(error, registries) }), task.id);
      }
    });
    jobs.sort((a, b) => a.id - b.id);

    // 4. Copy, scheduled by blob.
    // The farthest source decides: its copies are the ones that wait on round trips.
    const sourceRoundTripMs = Math.max(0, ...jobs.map((j) => registries.get(j.task.source.domain).client.fastestResponseMs).filter(Number.isFinite));
    await schedule(jobs, copyConcurrency(options.concurrency ?? "auto", sourceRoundTripMs), async (job) => {
      const result = await copyJob(job, registries, options, log);
      finish(result, job.id);
    });
  }
  await Promise.all(nativeCopies);
  ticker.stop();

  return { results: tasks.map((t) => results.get(t.id)!).filter(Boolean), dryRun: [] };
}

const DEFAULT_ATTEMPT_TIMEOUT_MS = 60 * 60_000;
const DEFAULT_STALL_TIMEOUT_MS = 60_000;
const PROGRESS_INTERVAL_MS = 10_000;
const IMAGES_IN_FLIGHT = 16;

/** Every registry of the run retries its own requests, with the run's budget and stall clock. */
function configureRequests(tasks: SyncTask[], registries: Registries, options: RunOptions): void {
  const log = options.log ?? (() => undefined);
  const hosts = new Set(tasks.flatMap((t) => [t.source.domain, t.target.registry]));
  for (const host of hosts) {
    registries.get(host).client.setRetryPolicy({
      retries: options.retries ?? 3,
      // Requests back off faster than whole copies: one hiccup should cost well under a second.
      baseMs: Math.max(1, Math.round((options.retryBaseMs ?? 1000) / 4)),
      maxMs: 30_000,
      stallMs: options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
      onRetry: (error, attempt, delayMs) => log({ registry: host, status: error.status ?? "-", code: error.code ?? "-", attempt, delayMs }, "retrying request"),
    });
  }
}

/** Run at most `limit` of the functions given at once, in call order. */
function limiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  return async (fn) => {
    if (active >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      const next = queue.shift();
      if (next) next();
      else active--;
    }
  };
}

/** A line every `intervalMs` while copies move bytes: how many run, bytes moved, and the rate since the last line. */
function transferTicker(native: NativeCopier, progress: Progress, intervalMs: number): { stop(): void } {
  if (intervalMs <= 0 || !progress.transfer) return { stop() {} };
  let last = { at: Date.now(), moved: 0 };
  const timer = setInterval(() => {
    const now = Date.now();
    if (native.active === 0 || native.moved === last.moved) return;
    const rate = ((native.moved - last.moved) * 1000) / Math.max(1, now - last.at);
    progress.transfer?.({ inFlight: native.active, bytes: native.moved, bytesPerSecond: rate });
    last = { at: now, moved: native.moved };
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** How every step of a task retries: same budget, same backoff, one log line per retry. */
function retryPolicy(task: SyncTask, registries: Registries, options: RunOptions, message = "retrying"): RetryOptions {
  const log = options.log ?? (() => undefined);
  return {
    retries: options.retries ?? 3,
    baseMs: options.retryBaseMs ?? 1000,
    isTransient,
    onRetry: (error, attempt, delayMs) => log({ task: task.targetReference, attempt, delayMs, error: describeError(error, registries) }, message),
  };
}

async function resolveWithRetry(task: SyncTask, registries: Registries, options: RunOptions, onTarget: (digest: string | null) => void): Promise<Resolution> {
  try {
    // A native copy reads the manifest the resolve read: only then may resolving GET it.
    const readForCopy = !options.dryRun && (options.copier ?? task.target.copier ?? "native") === "native";
    const resolveOptions = { force: options.force ?? false, readForCopy, onTarget, ...(options.platforms ? { platforms: options.platforms } : {}) };
    return await withRetry(() => resolveTask(task, registries, resolveOptions), retryPolicy(task, registries, options));
  } catch (error) {
    return { kind: "fail", error: describeError(error, registries), sourceDigest: null, transient: isTransient(error) };
  }
}

async function learnTargetBlobs(
  tasks: SyncTask[],
  resolutions: Resolution[],
  registries: Registries,
  ledgerFor: (registry: string) => BlobLedger,
  log: NonNullable<RunOptions["log"]>,
): Promise<void> {
  const known = new Map<string, SyncTask>();
  tasks.forEach((task, i) => {
    const r = resolutions[i]!;
    const digest = r.kind === "skip" ? r.targetDigest : r.kind === "copy" ? r.targetDigest : null;
    if (digest) known.set(`${task.target.registry}/${task.targetRepo}@${digest}`, task);
  });
  await mapLimit([...known], 8, async ([key, task]) => {
    const digest = key.slice(key.lastIndexOf("@") + 1);
    try {
      const { blobs } = await readBlobs(registries, task.target.registry, task.targetRepo, digest);
      const ledger = ledgerFor(task.target.registry);
      for (const b of blobs) ledger.record(b.digest, task.targetRepo);
    } catch (error) {
      // Knowing less only costs bytes: the copy still works, it may upload more.
      log({ target: task.targetReference, error: describeError(error, registries) }, "could not read target manifest");
    }
  });
}

async function copyJob(
  job: CopyJob,
  registries: Registries,
  options: RunOptions,
  log: NonNullable<RunOptions["log"]>,
): Promise<TaskResult> {
  const { task, resolution } = job;
  const target = registries.get(task.target.registry);
  const source = registries.get(task.source.domain);
  let uploaded = 0;
  try {
    const written = await withRetry(
      async () => {
        await premount(job, target.client, log, (error) => describeError(error, registries));
        // Bytes skopeo will send: what the repository still lacks after mounting.
        const missing = job.blobs.filter((b) => !job.ledger.has(b.digest, job.repo));
        uploaded = missing.reduce((n, b) => n + b.size, 0);
        job.ledger.claim(job.id, missing.map((b) => b.digest));
        const request: CopyRequest = {
          // By digest: a tag that moves mid-run must not change what we verify against.
          source: { reference: `${task.source.domain}/${task.source.path}@${resolution.sourceDigest}`, tlsVerify: source.tlsVerify, authFile: registries.authFile },
          destination: { reference: `${task.target.registry}/${task.targetRepo}:${task.targetTag}`, tlsVerify: target.tlsVerify, authFile: registries.authFile },
          all: task.platform === null,
          secrets: registries.secrets,
          ...(options.skopeoEnv ? { env: options.skopeoEnv } : {}),
        };
        try {
          return await skopeoCopy(request);
        } catch (error) {
          // skopeo's exit code says nothing about why; the registries do.
          if (error instanceof SkopeoError && error.transient) await diagnoseSkopeoFailure(task, resolution.sourceDigest, registries);
          throw error;
        }
      },
      retryPolicy(task, registries, options, "retrying copy"),
    );
    for (const b of job.blobs) job.ledger.record(b.digest, job.repo);
    // --preserve-digests refuses any change to the manifest, so this holds unless skopeo or
    // the registry misbehaves; it is checked rather than assumed.
    if (written !== resolution.sourceDigest) {
      return result(job, "failed", written || null, uploaded, `digest mismatch after copy: expected ${resolution.sourceDigest}, skopeo pushed ${written || "nothing"}`);
    }
    return result(job, "copied", written, uploaded, null);
  } catch (error) {
    return result(job, "failed", null, 0, redact(explainCopyFailure(error, task, registries), registries.secrets));
  } finally {
    job.ledger.release(job.id);
  }
}

/** How many repositories a copy asks to lend one blob before leaving it to skopeo to upload. */
const MOUNT_ATTEMPTS = 3;

/** Mount every blob the target holds in another repository, so skopeo finds it in place. */
async function premount(job: CopyJob, client: RegistryClient, log: NonNullable<RunOptions["log"]>, describe: (error: unknown) => string): Promise<void> {
  await mapLimit(job.blobs, 4, async (b) => {
    for (let attempt = 0; attempt < MOUNT_ATTEMPTS && !job.ledger.has(b.digest, job.repo); attempt++) {
      const from = job.ledger.sourceFor(b.digest, job.repo);
      if (from === undefined) return;
      // A refused or failed mount only costs bytes: another repository may lend it, or skopeo uploads it.
      let mounted: boolean;
      try {
        mounted = await client.mountBlob(job.repo, b.digest, from);
      } catch (error) {
        // A registry's error text can echo request headers: scrub it like every other error.
        log({ blob: b.digest, from, to: job.repo, error: describe(error) }, "mount failed");
        job.ledger.refuse(b.digest, from);
        continue;
      }
      if (mounted) {
        job.ledger.record(b.digest, job.repo);
      } else {
        log({ blob: b.digest, from, to: job.repo }, "mount refused");
        job.ledger.refuse(b.digest, from);
      }
    }
  });
}

function result(job: CopyJob, status: "copied" | "failed", targetDigest: string | null, bytes: number, error: string | null): TaskResult {
  return {
    ...identity(job.task),
    status,
    sourceDigest: job.resolution.sourceDigest,
    targetDigest,
    size: job.size,
    bytes,
    durationMs: Date.now() - job.startedAt,
    error,
  };
}

function baseResult(
  task: SyncTask,
  startedAt: Map<number, number>,
  fields: { status: "skipped" | "failed"; sourceDigest: string | null; targetDigest?: string | null; error?: string },
): TaskResult {
  return {
    ...identity(task),
    status: fields.status,
    sourceDigest: fields.sourceDigest,
    targetDigest: fields.targetDigest ?? null,
    size: null,
    bytes: 0,
    durationMs: Date.now() - (startedAt.get(task.id) ?? Date.now()),
    error: fields.error ?? null,
  };
}

function identity(task: SyncTask): Pick<TaskResult, "line" | "source" | "target" | "targetName" | "platform"> {
  return {
    line: task.line,
    source: canonical(task.source),
    target: task.targetReference,
    targetName: task.target.name,
    platform: task.platform ? formatPlatform(task.platform) : null,
  };
}

function describeError(error: unknown, registries: Registries): string {
  const message = error instanceof Error ? error.message : String(error);
  return redact(message, registries.secrets);
}

/**
 * Run jobs with at most `limit` in flight, starting next whichever job the blob scheduler
 * allows. A job whose missing blobs another job is uploading waits for it, then mounts.
 */
async function schedule(jobs: CopyJob[], limit: number, run: (job: CopyJob) => Promise<void>): Promise<void> {
  const waiting = [...jobs];
  const inFlight = new Map<number, Promise<CopyJob>>();
  const busy = new Set<string>();
  while (waiting.length > 0 || inFlight.size > 0) {
    while (inFlight.size < limit) {
      const next = pickNext(waiting, busy);
      if (!next) break;
      waiting.splice(waiting.indexOf(next), 1);
      // Claim now, not when the copy starts, so the next pick already sees these uploads.
      next.ledger.claim(next.id, blobsToUpload(next).map((b) => b.digest));
      busy.add(repositoryKey(next));
      inFlight.set(next.id, run(next).then(() => next));
    }
    if (inFlight.size === 0) {
      // Unreachable: waiting jobs only wait on in-flight uploads and repositories. Guard anyway: never spin.
      throw new Error(`internal: ${waiting.length} copies blocked with nothing in flight`);
    }
    const done = await Promise.race(inFlight.values());
    inFlight.delete(done.id);
    busy.delete(repositoryKey(done));
  }
}

/**
 * Copies in flight. On a near source the machine's CPU is the limit (the target hashes every
 * byte), and more than 4 copies only add contention; on a far one each copy spends much of
 * its time waiting on round trips, and 8 overlap them better. The source's quickest answer
 * is its round trip without queueing (a whole resolve is not: on a busy loopback it queues
 * past 50 ms). Measured with the bench: loopback 4 -> 3.1 s, 8 -> 3.3 s; 100 ms RTT at
 * 100 Mbit/s 4 -> 19.1 s, 8 -> 18.0 s.
 */
export function copyConcurrency(setting: number | "auto", sourceRoundTripMs: number): number {
  if (setting !== "auto") return setting;
  return sourceRoundTripMs > FAR_SOURCE_MS ? 8 : 4;
}

/**
 * Blob transfers in flight for the native copier, over all images. "auto" is 8, near or far:
 * on loopback (cold S20, 6 interleaved runs on 2 cores) 8 took 3.13 s against 4's 3.22 s, the
 * floor uploads 8 at a time, and on a long link 8 overlap round trips better.
 */
export function blobTransfers(setting: number | "auto"): number {
  return setting === "auto" ? 8 : setting;
}

const FAR_SOURCE_MS = 50;

/** Map with at most `limit` calls in flight; results keep input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
