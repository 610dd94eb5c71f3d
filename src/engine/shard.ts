/**
 * Split the copies of one sync into shards that run on separate machines, so that every
 * missing blob is still uploaded about once.
 *
 * Copies that share a missing blob form a connected component of the blob graph; a component
 * kept in one shard lets that shard's engine upload the blob once and mount it elsewhere, as a
 * single run does. Components are bin-packed by missing bytes (largest first into the lightest
 * shard). A component too big for one shard (typically every image on one base layer) is split:
 * its most shared blobs (the hubs) are cut out of the graph, and a few seed copies that carry
 * them run first, before the shards, so every shard mounts the hubs instead of uploading them.
 *
 * Pure: no I/O. Written here because no library partitions a bipartite blob graph this way.
 */
import type { BlobNeed } from "./schedule.js";

/** One copy, as the planner sees it. */
export interface ShardTask {
  id: number;
  /** Target registry host: the same digest on two registries is two uploads. */
  registry: string;
  /** Target repository in that registry, e.g. "mirror/nginx". */
  repo: string;
  /** Blobs the target lacks, which this copy would upload. */
  blobs: readonly BlobNeed[];
  /**
   * Manifest digests the copy pushes. Two copies pushing one manifest into one repository race
   * in distribution's storage, so they stay in one shard, where the engine runs them one at a time.
   */
  manifests: readonly string[];
}

/** Tuning of {@link planShards}. */
export interface ShardOptions {
  /** Shards wanted; fewer are made when there are fewer independent groups of copies. */
  shards: number;
  /**
   * Bytes one copy costs beyond its blobs (manifest reads and writes, round trips), so copies
   * that upload nothing still spread over the shards. [1 MiB]
   */
  taskOverheadBytes?: number;
}

/** The split. Task ids appear exactly once across `seed` and `shards`. */
export interface ShardSplit {
  /** Copies to run before every shard: they upload the hub blobs the shards then mount. */
  seed: number[];
  /** Task ids per shard, in input order within a shard; no shard is empty. */
  shards: number[][];
  /** Missing bytes per shard (unique blobs, seeded ones excluded) plus the per-task overhead. */
  weights: number[];
  /** Unique missing bytes the seed uploads. */
  seedBytes: number;
  /** Unique missing bytes over every copy: what an ideal single run uploads. */
  uniqueBytes: number;
  /**
   * Bytes of blobs that copies in two or more parts (seed or shards) need and that no earlier
   * part uploads: what the split may upload more than once. 0 unless a copy cannot be split.
   */
  duplicateBytes: number;
}

const DEFAULT_OVERHEAD = 1024 * 1024;

/**
 * A component up to a quarter over the fair share stays whole: splitting it costs a seed step
 * that runs before every shard, which a slightly heavier shard does not.
 */
const SPLIT_ABOVE = 1.25;

/** Split `tasks` into at most `options.shards` shards (see the module comment). */
export function planShards(tasks: readonly ShardTask[], options: ShardOptions): ShardSplit {
  const overhead = options.taskOverheadBytes ?? DEFAULT_OVERHEAD;
  const wanted = Math.max(1, Math.floor(options.shards));
  const sizes = blobSizes(tasks);
  const uniqueBytes = sum([...sizes.values()]);
  if (tasks.length === 0) return { seed: [], shards: [], weights: [], seedBytes: 0, uniqueBytes, duplicateBytes: 0 };
  if (wanted === 1) {
    const all = tasks.map((t) => t.id);
    return { seed: [], shards: [all], weights: [uniqueBytes + overhead * tasks.length], seedBytes: 0, uniqueBytes, duplicateBytes: 0 };
  }

  const total = uniqueBytes + overhead * tasks.length;
  const fair = total / wanted;
  const hubs = chooseHubs(tasks, sizes, overhead, fair * SPLIT_ABOVE);
  const seedTasks = coverHubs(tasks, hubs);
  const seedSet = new Set(seedTasks.map((t) => t.id));
  const seeded = new Set<string>();
  for (const t of seedTasks) for (const b of t.blobs) seeded.add(blobKey(t, b.digest));

  const rest = tasks.filter((t) => !seedSet.has(t.id));
  const groups = components(rest, seeded).map((members) => ({ members, weight: weightOf(members, seeded, overhead) }));
  // Largest first into the lightest shard (LPT): within 4/3 of the best possible split.
  groups.sort((a, b) => b.weight - a.weight || a.members[0]!.id - b.members[0]!.id);
  const bins = Array.from({ length: Math.min(wanted, groups.length) }, () => ({ ids: [] as number[], weight: 0 }));
  for (const g of groups) {
    const bin = bins.reduce((best, b) => (b.weight < best.weight ? b : best));
    bin.ids.push(...g.members.map((t) => t.id));
    bin.weight += g.weight;
  }
  const order = new Map(tasks.map((t, i) => [t.id, i]));
  for (const b of bins) b.ids.sort((x, y) => order.get(x)! - order.get(y)!);

  return {
    seed: seedTasks.map((t) => t.id),
    shards: bins.map((b) => b.ids),
    weights: bins.map((b) => b.weight),
    seedBytes: sum([...seeded].map((k) => sizes.get(k) ?? 0)),
    uniqueBytes,
    duplicateBytes: duplicates(tasks, seedSet, bins.map((b) => b.ids), seeded, sizes),
  };
}

/**
 * How many shards a run needs: the configured number, or for "auto" one per `budgetBytes` of
 * missing blobs, within 1..`max`.
 * @example shardCount("auto", 25e9, 10e9, 16) // 3
 */
export function shardCount(setting: number | "auto", missingBytes: number, budgetBytes: number, max: number): number {
  if (setting !== "auto") return Math.max(1, setting);
  return Math.min(max, Math.max(1, Math.ceil(missingBytes / budgetBytes)));
}

function blobKey(task: Pick<ShardTask, "registry">, digest: string): string {
  return `${task.registry}\u0000${digest}`;
}

function blobSizes(tasks: readonly ShardTask[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const t of tasks) for (const b of t.blobs) sizes.set(blobKey(t, b.digest), b.size);
  return sizes;
}

/**
 * The blobs to seed: none while every component is within `limit` bytes; else the most shared
 * blobs of the oversized components, in growing batches, until each piece fits or no blob is
 * shared any more.
 */
function chooseHubs(tasks: readonly ShardTask[], sizes: Map<string, number>, overhead: number, limit: number): Set<string> {
  const hubs = new Set<string>();
  const big = (cut: Set<string>) => components(tasks, cut).filter((members) => weightOf(members, cut, overhead) > limit);
  let oversized = big(hubs);
  let batch = 1;
  // Each round cuts at least one blob, and the batch doubles: at most ~log2(blobs) rounds.
  while (oversized.length > 0) {
    const degree = new Map<string, number>();
    for (const members of oversized) {
      for (const t of members) for (const b of t.blobs) {
        const key = blobKey(t, b.digest);
        if (!hubs.has(key)) degree.set(key, (degree.get(key) ?? 0) + 1);
      }
    }
    // Most copies first, then most bytes: cutting a widely shared base layer splits the most.
    const shared = [...degree].filter(([, n]) => n > 1).sort((a, b) => b[1] - a[1] || (sizes.get(b[0]) ?? 0) - (sizes.get(a[0]) ?? 0) || (a[0] < b[0] ? -1 : 1));
    if (shared.length === 0) break;
    for (const [key] of shared.slice(0, batch)) hubs.add(key);
    batch *= 2;
    oversized = big(hubs);
  }
  return hubs;
}

/**
 * Few, small copies that together carry every hub blob (greedy set cover: most hub bytes
 * per byte uploaded first).
 */
function coverHubs(tasks: readonly ShardTask[], hubs: Set<string>): ShardTask[] {
  const uncovered = new Set(hubs);
  const chosen: ShardTask[] = [];
  const candidates = tasks.filter((t) => t.blobs.some((b) => hubs.has(blobKey(t, b.digest))));
  while (uncovered.size > 0) {
    let best: ShardTask | undefined;
    let bestScore = 0;
    for (const t of candidates) {
      const gain = sum(t.blobs.filter((b) => uncovered.has(blobKey(t, b.digest))).map((b) => b.size));
      const score = gain / (sum(t.blobs.map((b) => b.size)) + 1);
      if (gain > 0 && score > bestScore) {
        best = t;
        bestScore = score;
      }
    }
    // Only zero-byte hubs left: uploading them twice costs nothing.
    if (!best) break;
    chosen.push(best);
    for (const b of best.blobs) uncovered.delete(blobKey(best, b.digest));
    candidates.splice(candidates.indexOf(best), 1);
  }
  return chosen;
}

/** Connected components over shared blobs (minus `cut`) and shared (repository, manifest) pairs. */
function components(tasks: readonly ShardTask[], cut: ReadonlySet<string>): ShardTask[][] {
  const parent = tasks.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const owner = new Map<string, number>();
  const link = (key: string, i: number) => {
    const j = owner.get(key);
    if (j === undefined) owner.set(key, i);
    else parent[find(i)] = find(j);
  };
  tasks.forEach((t, i) => {
    for (const b of t.blobs) {
      const key = blobKey(t, b.digest);
      if (!cut.has(key)) link(`b${key}`, i);
    }
    for (const m of t.manifests) link(`m${t.registry}\u0000${t.repo}\u0000${m}`, i);
  });
  const groups = new Map<number, ShardTask[]>();
  tasks.forEach((t, i) => {
    const root = find(i);
    const g = groups.get(root);
    if (g) g.push(t);
    else groups.set(root, [t]);
  });
  return [...groups.values()];
}

/** Unique missing bytes of a group, blobs in `free` excluded, plus the per-task overhead. */
function weightOf(members: readonly ShardTask[], free: ReadonlySet<string>, overhead: number): number {
  const seen = new Map<string, number>();
  for (const t of members) for (const b of t.blobs) {
    const key = blobKey(t, b.digest);
    if (!free.has(key)) seen.set(key, b.size);
  }
  return sum([...seen.values()]) + overhead * members.length;
}

/** Bytes of blobs needed by two or more parts that the seed does not upload first. */
function duplicates(tasks: readonly ShardTask[], seed: ReadonlySet<number>, shards: number[][], seeded: ReadonlySet<string>, sizes: Map<string, number>): number {
  const partOf = new Map<number, number>();
  shards.forEach((ids, i) => ids.forEach((id) => partOf.set(id, i)));
  const parts = new Map<string, Set<number>>();
  for (const t of tasks) {
    if (seed.has(t.id)) continue;
    for (const b of t.blobs) {
      const key = blobKey(t, b.digest);
      if (seeded.has(key)) continue;
      const set = parts.get(key) ?? parts.set(key, new Set()).get(key)!;
      set.add(partOf.get(t.id)!);
    }
  }
  return sum([...parts].filter(([, p]) => p.size > 1).map(([key, p]) => (sizes.get(key) ?? 0) * (p.size - 1)));
}

function sum(values: readonly number[]): number {
  return values.reduce((n, v) => n + v, 0);
}
