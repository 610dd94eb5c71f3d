/**
 * Plan a sync for shards: resolve every task with HEADs (the engine's own dry run), read the
 * source manifests of what must be copied once, learn which blobs the targets already hold,
 * and split the copies with the blob-graph planner.
 */
import { canonical } from "../domain/reference.js";
import { formatPlatform } from "../domain/platform.js";
import { readSourceTree } from "./copy/source-tree.js";
import { blobsOfManifests, type Plan, PLAN_VERSION, type PlannedManifest, plannedManifest, type PlannedTask } from "./plan-file.js";
import type { PlatformCache } from "./platform-cache.js";
import type { Progress } from "./progress.js";
import { redact } from "./redact.js";
import type { Registries } from "./registries.js";
import { readBlobs, type Resolution } from "./resolve.js";
import { isTransient, withRetry } from "./retry.js";
import { mapLimit, runSync } from "./run.js";
import { planShards, shardCount, type ShardTask } from "./shard.js";
import type { SyncTask } from "./tasks.js";

/** How to plan. */
export interface ShardPlanOptions {
  tasks: SyncTask[];
  registries: Registries;
  request: string | null;
  force?: boolean;
  /** Shard count, or "auto": one per `budgetBytes` of missing blobs, at most `maxShards`. */
  shards: number | "auto";
  budgetBytes: number;
  maxShards: number;
  retries?: number;
  retryBaseMs?: number;
  /** Platform manifests of source indexes read in earlier runs: a no-op platform entry then reads no source manifest. */
  platforms?: PlatformCache;
  log?: (fields: Record<string, unknown>, message: string) => void;
}

const READ_CONCURRENCY = 16;

const silent: Progress = { start: () => undefined, done: () => undefined, finish: () => undefined };

/** Resolve, read and split; never writes to a registry. */
export async function makeShardPlan(options: ShardPlanOptions): Promise<Plan> {
  const { tasks, registries } = options;
  const log = options.log ?? (() => undefined);
  const createdAt = new Date();
  const retry = { retries: options.retries ?? 3, baseMs: options.retryBaseMs ?? 1000, isTransient };
  const describe = (error: unknown) => redact(error instanceof Error ? error.message : String(error), registries.secrets);

  // 1. HEADs only, with the engine's retries and error messages.
  const { dryRun } = await runSync({
    tasks,
    registries,
    progress: silent,
    dryRun: true,
    ...(options.force ? { force: true } : {}),
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
    ...(options.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
    ...(options.platforms ? { platforms: options.platforms } : {}),
    log,
  });
  const resolutions = dryRun.map((line) => line.resolution);

  // 2. The source manifests of each copy, read once for every shard; and 3. the blobs each
  //    target registry holds already, from the manifests it has for these tasks.
  const held = new Map<string, Set<string>>();
  const [reads] = await Promise.all([
    mapLimit(dryRun, READ_CONCURRENCY, async ({ task, resolution: r }): Promise<PlannedManifest[] | Error | null> => {
      if (r.kind !== "copy") return null;
      try {
        return await withRetry(() => readManifests(registries, task, r.sourceDigest), retry);
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    }),
    mapLimit(targetManifests(tasks, resolutions), 8, async ({ task, digest }) => {
      try {
        const { blobs } = await readBlobs(registries, task.target.registry, task.targetRepo, digest);
        const set = held.get(task.target.registry) ?? held.set(task.target.registry, new Set()).get(task.target.registry)!;
        for (const b of blobs) set.add(b.digest);
      } catch (error) {
        // Knowing less only makes the plan count more bytes as missing.
        log({ target: task.targetReference, error: describe(error) }, "could not read target manifest");
      }
    }),
  ]);

  const planned: PlannedTask[] = tasks.map((task, i) => {
    const r = resolutions[i]!;
    const read = reads[i];
    const base = {
      id: task.id,
      line: task.line,
      source: canonical(task.source),
      target: task.targetReference,
      targetName: task.target.name,
      platform: task.platform ? formatPlatform(task.platform) : null,
    };
    if (r.kind === "fail") return { ...base, action: "fail", sourceDigest: r.sourceDigest, targetDigest: null, mediaType: "", error: r.error, manifests: [], missingBytes: 0 };
    if (r.kind === "skip") return { ...base, action: "skip", sourceDigest: r.sourceDigest, targetDigest: r.targetDigest, mediaType: "", error: null, manifests: [], missingBytes: 0 };
    if (read instanceof Error) return { ...base, action: "fail", sourceDigest: r.sourceDigest, targetDigest: r.targetDigest, mediaType: r.mediaType, error: describe(read), manifests: [], missingBytes: 0 };
    const manifests = read ?? [];
    const missing = missingBlobs(task, manifests, held);
    return { ...base, action: "copy", sourceDigest: r.sourceDigest, targetDigest: r.targetDigest, mediaType: r.mediaType, error: null, manifests, missingBytes: missing.reduce((n, b) => n + b.size, 0) };
  });

  // 4. Split.
  const copies: ShardTask[] = [];
  planned.forEach((p, i) => {
    if (p.action !== "copy") return;
    const task = tasks[i]!;
    copies.push({ id: p.id, registry: task.target.registry, repo: task.targetRepo, blobs: missingBlobs(task, p.manifests, held), manifests: p.manifests.map((m) => m.digest) });
  });
  const splitStarted = performance.now();
  const unique = uniqueMissingBytes(copies);
  const split = planShards(copies, { shards: shardCount(options.shards, unique, options.budgetBytes, options.maxShards) });
  const planningMs = Math.round(performance.now() - splitStarted);

  return {
    version: PLAN_VERSION,
    request: options.request,
    createdAt: createdAt.toISOString(),
    force: options.force === true,
    tasks: planned,
    seed: split.seed,
    shards: split.shards.map((ids, k) => ({ tasks: ids, bytes: split.weights[k]! })),
    stats: { uniqueBytes: split.uniqueBytes, seedBytes: split.seedBytes, duplicateBytes: split.duplicateBytes, planningMs },
  };
}

/** The manifests a copy pushes, in push order (the top last), as the source serves them: what the copier would read. */
async function readManifests(registries: Registries, task: SyncTask, digest: string): Promise<PlannedManifest[]> {
  const tree = await readSourceTree(registries.get(task.source.domain).client, task.source.path, digest);
  return tree.manifests.map(plannedManifest);
}

/** Manifests the targets hold for these tasks now, each once. */
function targetManifests(tasks: readonly SyncTask[], resolutions: readonly Resolution[]): Array<{ task: SyncTask; digest: string }> {
  const seen = new Map<string, { task: SyncTask; digest: string }>();
  tasks.forEach((task, i) => {
    const r = resolutions[i]!;
    const digest = r.kind === "fail" ? null : r.targetDigest;
    if (digest) seen.set(`${task.target.registry}/${task.targetRepo}@${digest}`, { task, digest });
  });
  return [...seen.values()];
}

/** Blobs of a copy its target registry was not seen to hold (a held blob is mounted, not uploaded). */
function missingBlobs(task: SyncTask, manifests: readonly PlannedManifest[], held: ReadonlyMap<string, ReadonlySet<string>>): Array<{ digest: string; size: number }> {
  const have = held.get(task.target.registry);
  return blobsOfManifests(manifests).blobs.filter((b) => !have?.has(b.digest));
}

function uniqueMissingBytes(copies: readonly ShardTask[]): number {
  const sizes = new Map<string, number>();
  for (const c of copies) for (const b of c.blobs) sizes.set(`${c.registry}\u0000${b.digest}`, b.size);
  return [...sizes.values()].reduce((n, s) => n + s, 0);
}
