/**
 * `mirrorbot sync --plan PLAN [--shard K|seed]`: run the tasks of a plan made by
 * `mirrorbot plan --shards` with the same engine, retries and results as a plain sync, taking
 * the plan's digests and manifests instead of asking the source again.
 *
 * Without --shard every part runs here in turn (seed first) and the result is complete, with a
 * summary and the notify webhooks, as a plain sync. With --shard the result holds that part
 * only; `mirrorbot merge` combines the parts, and sends the one summary and notification.
 */
import { dirname, join, resolve } from "node:path";
import { ConfigError, loadConfig, type Config } from "../domain/config.js";
import { cleanLeftovers } from "../engine/leftovers.js";
import { mergeResults, type PartResult } from "../engine/merge.js";
import { notify } from "../engine/notify.js";
import { type Plan, PlanError, readPlan } from "../engine/plan-file.js";
import { createProgress } from "../engine/progress.js";
import { oneLine } from "../engine/redact.js";
import { appendSummary, writeResult } from "../engine/report.js";
import { buildResult, type SyncResult } from "../engine/result.js";
import { runSync } from "../engine/run.js";
import { engineInput, type PlanPart, partName, partTasks } from "../engine/shard-run.js";
import { renderSummary } from "../engine/summary.js";
import { type CliIo, EXIT, UsageError, writeLine } from "./args.js";
import { onInterrupt } from "./interrupt.js";
import { planForShards, type ShardPlanArgs } from "./plan-shards.js";
import { openRegistries, type RunFlags, stopper, syncPrepared, usesSkopeo } from "./sync.js";

/** What `sync --plan` was asked. */
export interface PlanRunOptions extends RunFlags {
  plan: string;
  shard: string | undefined;
  config: string | undefined;
}

/** Parse `--shard`: "seed" or a shard number. */
export function parsePart(value: string): PlanPart {
  if (value === "seed") return { kind: "seed" };
  if (/^\d+$/.test(value) && Number(value) < 10_000) return { kind: "shard", index: Number(value) };
  throw new UsageError(`--shard takes a shard number from 0, or "seed"; got ${JSON.stringify(value)}`);
}

/** Run one part of a plan, or all of them; resolves to the exit code. */
export async function runPlan(options: PlanRunOptions, io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const part = options.shard === undefined ? null : parsePart(options.shard);
  if (options.config === "") throw new UsageError("--config needs a path");
  let config: Config;
  let plan: Plan;
  try {
    config = await loadConfig(options.config, { cwd: io.cwd });
    plan = await readPlan(resolve(io.cwd, options.plan));
    if (part) partTasks(plan, part);
  } catch (err) {
    if (!(err instanceof ConfigError) && !(err instanceof PlanError)) throw err;
    for (const line of err.message.split("\n")) writeLine(io.stderr, `mirrorbot sync: ${line}`);
    return EXIT.usage;
  }
  // A run killed before it could clean up left its files (and perhaps a skopeo) behind.
  const leftovers = cleanLeftovers();
  if (leftovers.killed.length > 0) writeLine(io.stderr, `stopped ${leftovers.killed.length} skopeo process(es) left running by an earlier run that was killed`);
  const parts: PlanPart[] = part ? [part] : [...(plan.seed.length > 0 ? [{ kind: "seed" } as const] : []), ...plan.shards.map((_, index) => ({ kind: "shard", index }) as const)];
  const results: PartResult[] = [];
  for (const p of parts) {
    const outcome = await runPart(plan, p, config, options, io, env);
    if (typeof outcome === "number") return outcome;
    results.push({ name: partName(p), result: outcome });
  }

  // One part alone is written as it is; the whole plan as one result, like a plain sync.
  const result: SyncResult = part ? results[0]!.result : mergeResults(plan, results);
  if (options.result) await writeResult(resolve(io.cwd, options.result), result);
  if (!part) {
    if (options.summary) await appendSummary(resolve(io.cwd, options.summary), renderSummary(result));
    for (const warning of await notify(result, config.notify, { env })) writeLine(io.stderr, `warning: ${warning}`);
  }
  return result.summary.failed > 0 ? EXIT.findings : EXIT.ok;
}

async function runPart(plan: Plan, part: PlanPart, config: Config, options: PlanRunOptions, io: CliIo, env: NodeJS.ProcessEnv): Promise<SyncResult | number> {
  const startedAt = new Date();
  let input: ReturnType<typeof engineInput>;
  try {
    input = engineInput(plan, partTasks(plan, part), config, part);
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    writeLine(io.stderr, `mirrorbot sync: ${err.message}`);
    return EXIT.usage;
  }
  if (input.tasks.length === 0) return buildResult([], { request: plan.request, startedAt, finishedAt: new Date() });
  // A shard's webhooks stay quiet: the merge reports the whole run once.
  const stop = options.shard === undefined ? stopper(config, false, io, env) : async () => EXIT.usage;
  const skopeo = usesSkopeo(options.copier, input.tasks.map((t) => t.target));
  const registries = await openRegistries("sync", config, input.tasks.map((t) => t.source.domain), io, env, stop, skopeo, options.config);
  if (typeof registries === "number") return registries;
  const released = onInterrupt(() => registries.disposeNow());
  writeLine(io.stdout, `${partName(part)}: ${input.tasks.length} cop${input.tasks.length === 1 ? "y" : "ies"}`);
  const progress = createProgress({ total: input.tasks.length, stream: io.stdout });
  try {
    const { results } = await runSync({
      ...input,
      registries,
      progress,
      force: plan.force,
      concurrency: options.concurrency ?? config.engine.concurrency,
      retries: options.retries ?? config.engine.retries,
      stallTimeoutMs: (options.stallTimeout ?? config.engine.stallTimeout) * 1000,
      attemptTimeoutMs: (options.attemptTimeout ?? config.engine.attemptTimeout) * 1000,
      ...(options.copier ? { copier: options.copier } : {}),
      log: (fields, message) => writeLine(io.stderr, oneLine(`${message}: ${Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`).join(" ")}`)),
    });
    progress.finish();
    return buildResult(results, { request: plan.request, startedAt, finishedAt: new Date() });
  } finally {
    released();
    await registries.dispose();
  }
}

/**
 * `sync --fan-out PLAN`: the mirror workflow's first job. Plan; a plan of at most one shard is
 * synced here, completely, as a plain sync (no fan-out for a small run); a larger one has only
 * its seed run here, into result-seed.json beside PLAN, and its shards go to the matrix.
 * A seed's failed copies do not fail the step: the merge reports them with the rest.
 */
export async function fanOut(
  plan: ShardPlanArgs & { out: string },
  run: Pick<PlanRunOptions, "result" | "summary" | "concurrency" | "retries" | "stallTimeout" | "attemptTimeout" | "copier">,
  io: CliIo,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  // A plan of one shard is synced here as a plain sync, with the plan's decisions and the
  // manifests it read (nothing is resolved or read twice), so tag sets, new tags and
  // suggestions reach result.json and the step summary as in any single run.
  let syncedHere = false;
  const planned = await planForShards(plan, io, env, async (prepared, made, platforms) => {
    if (made.shards.length > 1) return null;
    syncedHere = true;
    const all = made.tasks.map((t) => t.id);
    const { planned: decisions } = engineInput(made, all, prepared.analysis.config, { kind: "seed" });
    return syncPrepared(prepared, { force: made.force, dryRun: false, ...run, planned: decisions, platforms }, io, env);
  });
  const planFile = resolve(io.cwd, plan.out);
  const shards = (await readPlan(planFile)).shards.length;
  if (syncedHere || planned !== EXIT.ok) return planned;
  const options = { plan: planFile, config: plan.config, ...run };
  // An empty plan (nothing to mirror) still writes its empty result.
  if (shards <= 1) return runPlan({ ...options, shard: undefined }, io, env);
  const seeded = await runPlan({ ...options, shard: "seed", result: join(dirname(planFile), "result-seed.json"), summary: undefined }, io, env);
  return seeded === EXIT.usage ? seeded : EXIT.ok;
}
