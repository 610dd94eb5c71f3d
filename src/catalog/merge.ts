/**
 * Merging runs into the catalogue. Every fact is keyed (row id, then target name and reference)
 * and stamped with the time of the run that saw it; a fact replaces another only when it is at
 * least as new. So merging is idempotent and order-free: the same result merged twice, or two
 * runs merged in either order, give the same catalogue, which is what lets every run re-merge
 * all recent results and repair an update that a cancelled or racing run lost.
 */
import { imageFreshness, targetFreshness } from "./freshness.js";
import type { CatalogTask, RunInput } from "./input.js";
import { rowId } from "./row-id.js";
import { type Catalog, type CatalogImage, type CatalogTarget, CATALOG_VERSION } from "./schema.js";

/** How many recent runs catalog.json lists. */
export const MAX_RUNS_LISTED = 200;

type Fact<T> = Omit<T, "freshness">;
type Row = Omit<CatalogImage, "targets"> & { targets: Fact<CatalogTarget>[] };

const time = (iso: string | null): number => (iso === null ? Number.NEGATIVE_INFINITY : Date.parse(iso));

/**
 * Merge `runs` into `previous` (null: start empty) and derive freshness, rules and counts.
 * `repository` (when known) replaces the previous one.
 */
export function mergeRuns(previous: Catalog | null, runs: readonly RunInput[], options: { now: Date; repository: string | null }): Catalog {
  const rows = new Map<string, Row>();
  for (const image of previous?.images ?? []) rows.set(image.id, { ...image, targets: image.targets.map(({ freshness: _, ...t }) => ({ ...t })) });
  for (const run of runs) {
    for (const task of run.result.tasks) mergeTask(rows, task, run.result.finishedAt, run.url);
  }
  const images = [...rows.values()]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((row) => ({ ...row, targets: row.targets.map((t) => ({ ...t, freshness: targetFreshness(row, t) })) }));
  const states = images.map(imageFreshness);
  const count = (s: string) => states.filter((x) => x === s).length;
  return {
    version: CATALOG_VERSION,
    generatedAt: options.now.toISOString(),
    repository: options.repository ?? previous?.repository ?? null,
    summary: { images: images.length, fresh: count("fresh"), behind: count("behind"), failed: count("failed") },
    runs: recentRuns(previous?.runs ?? [], runs),
    rules: rulesOf(images),
    images,
  };
}

function mergeTask(rows: Map<string, Row>, task: CatalogTask, at: string, url: string | null): void {
  const id = rowId(task.source, task.platform);
  let row = rows.get(id);
  if (row === undefined) {
    row = { id, source: task.source, platform: task.platform, platforms: [], rule: null, upstream: { digest: null, checkedAt: null, run: null }, targets: [] };
    rows.set(id, row);
  }
  if (task.sourceDigest !== null && time(at) >= time(row.upstream.checkedAt)) row.upstream = { digest: task.sourceDigest, checkedAt: at, run: url };
  const index = row.targets.findIndex((t) => t.name === task.targetName && t.reference === task.target);
  const before = index === -1 ? null : row.targets[index]!;
  if (before !== null && time(before.lastChecked) > time(at)) return; // an older run than the one we have
  // Rows learn their rule and platforms from the newest run that says; an older one cannot undo them.
  if (task.rule !== undefined) row.rule = task.rule;
  if (task.platforms !== undefined) row.platforms = [...new Set(task.platforms)].sort();
  else if (task.platform !== null && row.platforms.length === 0) row.platforms = [task.platform];
  const failed = task.status === "failed";
  const next: Fact<CatalogTarget> = {
    name: task.targetName,
    reference: task.target,
    // A failed run leaves the target as it was; it says what is there only when it could read it.
    digest: failed ? (task.targetDigest ?? before?.digest ?? null) : (task.targetDigest ?? task.sourceDigest ?? before?.digest ?? null),
    size: task.size ?? before?.size ?? null,
    lastCopied: task.status === "copied" ? at : (before?.lastCopied ?? null),
    lastChecked: at,
    lastStatus: task.status,
    error: failed ? (task.error ?? "the run gave no reason") : null,
    run: url,
  };
  if (index === -1) row.targets.push(next);
  else row.targets[index] = next;
  row.targets.sort((a, b) => (a.name === b.name ? (a.reference < b.reference ? -1 : 1) : a.name < b.name ? -1 : 1));
}

function recentRuns(previous: Catalog["runs"], runs: readonly RunInput[]): Catalog["runs"] {
  const byKey = new Map(previous.map((r) => [r.key, r]));
  for (const run of runs) {
    // Shards of one run share its key: the run finished when its last shard did.
    const known = byKey.get(run.key);
    if (known === undefined || time(run.result.finishedAt) > time(known.finishedAt)) byKey.set(run.key, { key: run.key, finishedAt: run.result.finishedAt, url: run.url });
  }
  return [...byKey.values()].sort((a, b) => time(b.finishedAt) - time(a.finishedAt) || (a.key < b.key ? -1 : 1)).slice(0, MAX_RUNS_LISTED);
}

function rulesOf(images: readonly CatalogImage[]): Catalog["rules"] {
  const byRule = new Map<string, Set<string>>();
  for (const image of images) {
    if (image.rule === null) continue;
    const tags = byRule.get(image.rule) ?? new Set<string>();
    tags.add(image.source);
    byRule.set(image.rule, tags);
  }
  return [...byRule.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([rule, tags]) => ({ rule, tags: [...tags].sort() }));
}
