/**
 * Turn one part of a plan (its seed or one shard) back into engine input: the tasks, the
 * decisions and manifests the plan made, and the blobs the seed put in the targets.
 */
import type { Config } from "../domain/config.js";
import { parsePlatform } from "../domain/platform.js";
import { parseReference } from "../domain/reference.js";
import { blobsOfManifests, type Plan, PlanError, type PlannedTask } from "./plan-file.js";
import type { Resolution } from "./resolve.js";
import type { PlannedDecision, RunOptions } from "./run.js";
import type { SyncTask } from "./tasks.js";
import type { SourceTree } from "./copy/source-tree.js";

/** Which part of a plan to run. */
export type PlanPart = { kind: "seed" } | { kind: "shard"; index: number };

/** The part's name in messages and file names: "seed" or "shard 2". */
export function partName(part: PlanPart): string {
  return part.kind === "seed" ? "seed" : `shard ${part.index}`;
}

/** Task ids of a part; throws PlanError for a shard the plan does not have. */
export function partTasks(plan: Plan, part: PlanPart): number[] {
  if (part.kind === "seed") return plan.seed;
  const shard = plan.shards[part.index];
  if (!shard) throw new PlanError(`the plan has ${plan.shards.length} shard${plan.shards.length === 1 ? "" : "s"} (0 to ${plan.shards.length - 1}); there is no shard ${part.index}`);
  return shard.tasks;
}

/**
 * The engine's input for `ids` of `plan`: tasks rebuilt against `config` (the targets by name),
 * the plan's decisions, and, for a shard, the seed's blobs to mount.
 * Throws PlanError when the config no longer has a target the plan names.
 */
export function engineInput(plan: Plan, ids: readonly number[], config: Config, part: PlanPart): Required<Pick<RunOptions, "tasks" | "planned" | "knownBlobs">> {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const wanted = ids.map((id) => byId.get(id)!);
  const tasks = wanted.map((p) => syncTask(p, config));
  const planned = new Map<number, PlannedDecision>(wanted.map((p) => [p.id, decision(p)]));
  const knownBlobs =
    part.kind === "seed"
      ? []
      : plan.seed.flatMap((id) => {
          const seedTask = syncTask(byId.get(id)!, config);
          return blobsOfManifests(byId.get(id)!.manifests).blobs.map((b) => ({ registry: seedTask.target.registry, repo: seedTask.targetRepo, digest: b.digest }));
        });
  return { tasks, planned, knownBlobs };
}

function syncTask(p: PlannedTask, config: Config): SyncTask {
  const target = config.targets.find((t) => t.name === p.targetName);
  if (!target) throw new PlanError(`the plan copies to target "${p.targetName}", which the config has no more; plan again`);
  const source = parseReference(p.source);
  const ref = parseReference(p.target);
  if (ref.domain !== target.registry) throw new PlanError(`the plan copies to ${p.target}, but target "${p.targetName}" is now ${target.registry}; plan again`);
  const platform = p.platform === null ? null : parsePlatform(p.platform);
  return {
    id: p.id,
    entry: { line: p.line ?? 0, column: 1, text: p.source, source, platform, rename: null },
    line: p.line,
    source,
    platform,
    target,
    targetReference: p.target,
    targetRepo: ref.path,
    targetTag: ref.tag ?? "latest",
  };
}

function decision(p: PlannedTask): PlannedDecision {
  if (p.action === "copy") {
    const resolution: Resolution = { kind: "copy", sourceDigest: p.sourceDigest!, mediaType: p.mediaType, targetDigest: p.targetDigest };
    return { resolution, tree: sourceTree(p.manifests) };
  }
  if (p.action === "skip") return { resolution: { kind: "skip", sourceDigest: p.sourceDigest!, targetDigest: p.targetDigest! } };
  return { resolution: { kind: "fail", error: p.error ?? "failed while planning", sourceDigest: p.sourceDigest, transient: false } };
}

/** The image as the plan read it, in the shape the copier pushes: manifests in push order, the top last. */
function sourceTree(manifests: PlannedTask["manifests"]): SourceTree {
  const { blobs, size } = blobsOfManifests(manifests);
  const docs = manifests.map((m) => {
    const body = Buffer.from(m.body, "base64");
    return { digest: m.digest, mediaType: m.mediaType, body, json: JSON.parse(body.toString("utf8")) as unknown };
  });
  return { manifests: docs, blobs, size };
}
