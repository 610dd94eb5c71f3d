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
  const g = intern(tasks);
  const uniqueBytes = sum(Array.from(g.size));
  if (tasks.length === 0) return { seed: [], shards: [], weights: [], seedBytes: 0, uniqueBytes, duplicateBytes: 0 };
  const everyone = tasks.map((_, i) => i);
  if (wanted === 1) {
    return { seed: [], shards: [tasks.map((t) => t.id)], weights: [uniqueBytes + overhead * tasks.length], seedBytes: 0, uniqueBytes, duplicateBytes: 0 };
  }

  const fair = (uniqueBytes + overhead * tasks.length) / wanted;
  const hubs = chooseHubs(g, everyone, overhead, fair * SPLIT_ABOVE);
  const seed = coverHubs(g, hubs);
  const inSeed = new Uint8Array(tasks.length);
  const seeded = new Uint8Array(g.size.length);
  for (const i of seed) {
    inSeed[i] = 1;
    for (const b of g.blobs[i]!) seeded[b] = 1;
  }

  const rest = everyone.filter((i) => inSeed[i] === 0);
  const groups = components(g, rest, seeded).map((members) => ({ members, weight: weightOf(g, members, seeded, overhead) }));
  // Largest first into the lightest shard (LPT): within 4/3 of the best possible split.
  groups.sort((a, b) => b.weight - a.weight || a.members[0]! - b.members[0]!);
  const bins = Array.from({ length: Math.min(wanted, groups.length) }, () => ({ members: [] as number[], weight: 0 }));
  for (const group of groups) {
    const bin = bins.reduce((best, b) => (b.weight < best.weight ? b : best));
    for (const i of group.members) bin.members.push(i);
    bin.weight += group.weight;
  }
  for (const b of bins) b.members.sort((x, y) => x - y);

  let seedBytes = 0;
  seeded.forEach((on, b) => (seedBytes += on ? g.size[b]! : 0));
  return {
    seed: seed.map((i) => tasks[i]!.id),
    shards: bins.map((b) => b.members.map((i) => tasks[i]!.id)),
    weights: bins.map((b) => b.weight),
    seedBytes,
    uniqueBytes,
    duplicateBytes: duplicates(g, bins.map((b) => b.members), seeded),
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

/** The tasks with their blobs and (repository, manifest) pairs numbered, so the passes below run on arrays. */
interface Graph {
  /** Per task, the numbers of its blobs (each blob once). */
  blobs: Int32Array[];
  /** Per task, the numbers of the (repository, manifest) pairs it pushes. */
  pushes: Int32Array[];
  /** Per blob number, its size. */
  size: Float64Array;
  pushCount: number;
}

function intern(tasks: readonly ShardTask[]): Graph {
  const blobIds = new Map<string, number>();
  const sizes: number[] = [];
  const pushIds = new Map<string, number>();
  const blobs = tasks.map((t) => {
    const ids = new Set<number>();
    for (const b of t.blobs) {
      // One digest on two target registries is two uploads.
      const key = `${t.registry}\u0000${b.digest}`;
      let id = blobIds.get(key);
      if (id === undefined) {
        id = sizes.length;
        blobIds.set(key, id);
        sizes.push(b.size);
      }
      ids.add(id);
    }
    return Int32Array.from(ids);
  });
  const pushes = tasks.map((t) =>
    Int32Array.from(new Set(t.manifests.map((m) => {
      const key = `${t.registry}\u0000${t.repo}\u0000${m}`;
      let id = pushIds.get(key);
      if (id === undefined) pushIds.set(key, (id = pushIds.size));
      return id;
    }))),
  );
  return { blobs, pushes, size: Float64Array.from(sizes), pushCount: pushIds.size };
}

/**
 * The blobs to seed: none while every component is within `limit` bytes; else the most shared
 * blobs of the oversized components, in slowly growing batches, until each piece fits or no blob is
 * shared any more.
 */
function chooseHubs(g: Graph, members: readonly number[], overhead: number, limit: number): Uint8Array {
  const hubs = new Uint8Array(g.size.length);
  const big = () => components(g, members, hubs).filter((group) => weightOf(g, group, hubs, overhead) > limit);
  let oversized = big();
  let cut = 0;
  // Each round cuts at least one blob and a quarter more than all rounds before: few rounds
  // (~log1.25 of the blobs cut), yet no big overshoot, since every blob cut is a seed to copy.
  while (oversized.length > 0) {
    const degree = new Int32Array(g.size.length);
    for (const group of oversized) for (const i of group) for (const b of g.blobs[i]!) if (!hubs[b]) degree[b]!++;
    const shared: number[] = [];
    degree.forEach((n, b) => {
      if (n > 1) shared.push(b);
    });
    if (shared.length === 0) break;
    // Most copies first, then most bytes: cutting a widely shared base layer splits the most.
    shared.sort((a, b) => degree[b]! - degree[a]! || g.size[b]! - g.size[a]! || a - b);
    const batch = Math.max(1, Math.ceil(cut / 4));
    for (const b of shared.slice(0, batch)) hubs[b] = 1;
    cut += Math.min(batch, shared.length);
    oversized = big();
  }
  return hubs;
}

/**
 * Few, small copies that together carry every hub blob (greedy set cover: most hub bytes
 * per byte uploaded first). Returns task indexes.
 */
function coverHubs(g: Graph, hubs: Uint8Array): number[] {
  const uncovered = Uint8Array.from(hubs);
  let left = hubs.reduce((n, h) => n + h, 0);
  const chosen: number[] = [];
  let candidates = g.blobs.map((_, i) => i).filter((i) => g.blobs[i]!.some((b) => hubs[b] === 1));
  const bytes = (i: number) => g.blobs[i]!.reduce((n, b) => n + g.size[b]!, 0);
  while (left > 0) {
    let best = -1;
    let bestScore = 0;
    for (const i of candidates) {
      let gain = 0;
      for (const b of g.blobs[i]!) if (uncovered[b]) gain += g.size[b]!;
      const score = gain / (bytes(i) + 1);
      if (gain > 0 && score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    // Only zero-byte hubs left: uploading them twice costs nothing.
    if (best < 0) break;
    chosen.push(best);
    for (const b of g.blobs[best]!) {
      if (uncovered[b]) left--;
      uncovered[b] = 0;
    }
    candidates = candidates.filter((i) => i !== best && g.blobs[i]!.some((b) => uncovered[b] === 1));
  }
  return chosen;
}

/** Connected components of `members` over shared blobs (minus `cut`) and shared (repository, manifest) pairs. */
function components(g: Graph, members: readonly number[], cut: Uint8Array): number[][] {
  const parent = new Int32Array(members.length).map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const blobOwner = new Int32Array(g.size.length).fill(-1);
  const pushOwner = new Int32Array(g.pushCount).fill(-1);
  members.forEach((task, i) => {
    for (const b of g.blobs[task]!) {
      if (cut[b]) continue;
      const j = blobOwner[b]!;
      if (j < 0) blobOwner[b] = i;
      else parent[find(i)] = find(j);
    }
    for (const p of g.pushes[task]!) {
      const j = pushOwner[p]!;
      if (j < 0) pushOwner[p] = i;
      else parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, number[]>();
  members.forEach((task, i) => {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(task);
    else groups.set(root, [task]);
  });
  return [...groups.values()];
}

/** Unique missing bytes of a group, blobs in `free` excluded, plus the per-task overhead. */
function weightOf(g: Graph, members: readonly number[], free: Uint8Array, overhead: number): number {
  const seen = new Set<number>();
  let bytes = 0;
  for (const i of members) for (const b of g.blobs[i]!) {
    if (free[b] || seen.has(b)) continue;
    seen.add(b);
    bytes += g.size[b]!;
  }
  return bytes + overhead * members.length;
}

/** Bytes of blobs that two or more shards need and that the seed does not upload first. */
function duplicates(g: Graph, shards: readonly number[][], seeded: Uint8Array): number {
  const parts = new Map<number, Set<number>>();
  shards.forEach((members, k) => {
    for (const i of members) for (const b of g.blobs[i]!) {
      if (seeded[b]) continue;
      const set = parts.get(b) ?? parts.set(b, new Set()).get(b)!;
      set.add(k);
    }
  });
  let bytes = 0;
  for (const [b, p] of parts) if (p.size > 1) bytes += g.size[b]! * (p.size - 1);
  return bytes;
}

function sum(values: readonly number[]): number {
  return values.reduce((n, v) => n + v, 0);
}
