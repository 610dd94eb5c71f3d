/**
 * `mirrorbot plan --shards N|auto --out plan.json`: plan a sync once for several runners
 * (docs/sharding.md). Resolves digests with HEADs, reads the source manifests of what must be
 * copied, and splits the copies into shards by the blobs they share; writes nothing to a
 * registry. With --github-output it also writes the step outputs the mirror workflow's
 * matrix reads.
 */
import { appendFile } from "node:fs/promises";
import { resolve } from "node:path";
import { SHARDING_LIMITS } from "../domain/config.js";
import { oneLine } from "../engine/redact.js";
import { type Plan, writePlan } from "../engine/plan-file.js";
import { PlatformCache, platformCacheDir } from "../engine/platform-cache.js";
import { makeShardPlan } from "../engine/shard-plan.js";
import { humanBytes } from "../engine/summary.js";
import { type CliIo, EXIT, UsageError, writeLine } from "./args.js";
import { onInterrupt } from "./interrupt.js";
import { boundedInt, type PreparedSync, prepareSync } from "./sync.js";

/** What `plan --shards` was asked. */
export interface ShardPlanArgs {
  file: string | undefined;
  config: string | undefined;
  /** "auto", a number, or undefined for the config's `sharding.shards`. */
  shards: string | undefined;
  out: string | undefined;
  githubOutput: string | undefined;
  force: boolean;
}

/** Plan for shards; resolves to the exit code (0 planned, 2 usage, config or input error). */
export async function planForShards(
  args: ShardPlanArgs,
  io: CliIo,
  env: NodeJS.ProcessEnv,
  /**
   * Called with the prepared sync and the written plan while the registries are still open;
   * its exit code, when not null, is the command's (a one-shard `--fan-out` syncs right here).
   */
  then?: (prepared: PreparedSync, plan: Plan, platforms: PlatformCache) => Promise<number | null>,
): Promise<number> {
  if (args.out === undefined || args.out === "") throw new UsageError("planning for shards needs --out PATH for the plan");
  const shards = args.shards === undefined || args.shards === "auto" ? args.shards : boundedInt(args.shards, "--shards", SHARDING_LIMITS.shards)!;
  const prepared = await prepareSync("plan", { file: args.file, config: args.config, only: [], dryRun: false }, io, env);
  const request = env.MIRRORBOT_REQUEST || null;
  if (typeof prepared === "number") {
    // Nothing to mirror is a plan too: an empty one, so the workflow starts no shard.
    if (prepared !== EXIT.ok) return prepared;
    const empty: Plan = { version: 1, request, createdAt: new Date().toISOString(), force: false, tasks: [], seed: [], shards: [], stats: { uniqueBytes: 0, seedBytes: 0, duplicateBytes: 0, planningMs: 0 } };
    await writePlan(resolve(io.cwd, args.out), empty);
    if (args.githubOutput) await writeOutputs(resolve(io.cwd, args.githubOutput), empty, 1);
    return EXIT.ok;
  }
  const { analysis, tasks, registries } = prepared;
  const sharding = analysis.config.sharding;
  const released = onInterrupt(() => registries.disposeNow());
  const platforms = await PlatformCache.open(platformCacheDir(env));
  try {
    const plan = await makeShardPlan({
      platforms,
      tasks,
      registries,
      request,
      force: args.force || env.MIRRORBOT_FORCE === "true",
      shards: shards ?? sharding.shards,
      budgetBytes: sharding.budgetMB * 1_000_000,
      maxShards: sharding.maxShards,
      retries: analysis.config.engine.retries,
      log: (fields, message) => writeLine(io.stderr, oneLine(`${message}: ${Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`).join(" ")}`)),
    });
    await writePlan(resolve(io.cwd, args.out), plan);
    if (args.githubOutput) await writeOutputs(resolve(io.cwd, args.githubOutput), plan, sharding.maxParallel);
    for (const line of describePlan(plan)) writeLine(io.stdout, line);
    return (await then?.(prepared, plan, platforms)) ?? EXIT.ok;
  } finally {
    released();
    await platforms.save();
    await registries.dispose();
  }
}

/**
 * A plan in a few lines for the log.
 * @example describePlan(plan) // ["planned 12 tasks: 9 to copy (1.2 GB missing), 3 up to date, 0 failed", "shard 0: 5 copies, 610.0 MB", ...]
 */
export function describePlan(plan: Plan): string[] {
  const count = (a: string) => plan.tasks.filter((t) => t.action === a).length;
  const lines = [`planned ${plan.tasks.length} tasks: ${count("copy")} to copy (${humanBytes(plan.stats.uniqueBytes)} missing), ${count("skip")} up to date, ${count("fail")} failed`];
  if (plan.seed.length > 0) lines.push(`seed: ${plan.seed.length} cop${plan.seed.length === 1 ? "y" : "ies"} first, ${humanBytes(plan.stats.seedBytes)} of blobs the shards share`);
  plan.shards.forEach((s, k) => lines.push(`shard ${k}: ${s.tasks.length} cop${s.tasks.length === 1 ? "y" : "ies"}, ${humanBytes(s.bytes)}`));
  return lines;
}

/**
 * Step outputs for the mirror workflow: `fanout` ("true" when the plan has more than one
 * shard, so the matrix runs), `shards` (JSON array of shard numbers for the matrix), `seed`, and
 * `max_parallel`.
 */
async function writeOutputs(path: string, plan: Plan, maxParallel: number): Promise<void> {
  // A seed and one shard run one after the other anyway: one job does both, with no fan-out.
  const fanout = plan.shards.length > 1;
  const lines = [
    `fanout=${fanout}`,
    `shards=${JSON.stringify(plan.shards.map((_, k) => k))}`,
    `seed=${plan.seed.length > 0}`,
    `max_parallel=${maxParallel}`,
  ];
  await appendFile(path, `${lines.join("\n")}\n`);
}
