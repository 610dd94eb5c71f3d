/**
 * Combine the results of a plan's parts (seed and shards) into the one result a single run
 * would have written: every task of the plan once, in plan order. Tasks the plan skipped or
 * failed come from the plan; a copy no part reported (its job failed or was cancelled before
 * writing a result) is reported failed, naming its shard.
 */
import type { Plan, PlannedTask } from "./plan-file.js";
import { buildResult, type SyncResult, type TaskResult } from "./result.js";

/** A part result that does not belong to this plan; the message says which and why. */
export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MergeError";
  }
}

/** A part's result and where it came from (a file name, for messages). */
export interface PartResult {
  name: string;
  result: SyncResult;
}

/**
 * Merge part results into one result for `plan`.
 * Throws MergeError for a result of another request or plan, or two results for one task.
 */
export function mergeResults(plan: Plan, parts: readonly PartResult[], finishedAt: Date = new Date()): SyncResult {
  const planned = new Map(plan.tasks.map((t) => [t.target, t]));
  const reported = new Map<string, { task: TaskResult; from: string }>();
  for (const { name, result } of parts) {
    if (result.request !== plan.request) throw new MergeError(`${name} is a result of request ${JSON.stringify(result.request)}, but the plan is for ${JSON.stringify(plan.request)}`);
    for (const task of result.tasks) {
      const p = planned.get(task.target);
      if (!p || p.source !== task.source || p.platform !== task.platform) throw new MergeError(`${name} reports ${task.target}, which this plan does not copy`);
      const earlier = reported.get(task.target);
      if (earlier) throw new MergeError(`${task.target} is reported by both ${earlier.from} and ${name}`);
      reported.set(task.target, { task, from: name });
    }
  }
  const partOf = new Map<number, string>();
  for (const id of plan.seed) partOf.set(id, "seed");
  plan.shards.forEach((s, k) => s.tasks.forEach((id) => partOf.set(id, `shard ${k}`)));

  const tasks = plan.tasks.map((p) => reported.get(p.target)?.task ?? fromPlan(p, partOf.get(p.id)));
  const starts = [plan.createdAt, ...parts.map((p) => p.result.startedAt)].map((s) => Date.parse(s)).filter(Number.isFinite);
  const ends = parts.map((p) => Date.parse(p.result.finishedAt)).filter(Number.isFinite);
  return buildResult(tasks, {
    request: plan.request,
    startedAt: new Date(Math.min(...starts)),
    finishedAt: ends.length > 0 && parts.length === partCount(plan) ? new Date(Math.max(...ends)) : finishedAt,
  });
}

/** How many part results a complete run of `plan` has. */
export function partCount(plan: Plan): number {
  return plan.shards.length + (plan.seed.length > 0 ? 1 : 0);
}

/** The result of a task no part reported. */
function fromPlan(p: PlannedTask, part: string | undefined): TaskResult {
  const base = { line: p.line, source: p.source, target: p.target, targetName: p.targetName, platform: p.platform, size: null, bytes: 0, durationMs: 0 };
  if (p.action === "skip") return { ...base, status: "skipped", sourceDigest: p.sourceDigest, targetDigest: p.targetDigest, error: null };
  if (p.action === "fail") return { ...base, status: "failed", sourceDigest: p.sourceDigest, targetDigest: null, error: p.error ?? "failed while planning" };
  return {
    ...base,
    status: "failed",
    sourceDigest: p.sourceDigest,
    targetDigest: null,
    error: `not run: ${part ?? "its shard"} reported no result (its job failed or was cancelled before writing one)`,
  };
}
