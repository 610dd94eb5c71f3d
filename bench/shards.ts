/**
 * `npm run bench:shards [-- --quick] [--planner-only] [--mbit N]`: what sharding costs and buys (issue #13).
 *
 * 1. The planner on 10,000 synthetic tasks with realistic layer sharing (OS bases per
 *    architecture, language runtimes on them, dependency layers shared by neighbouring versions
 *    of a repository, one layer of its own per tag): balance, bytes shared across shards,
 *    planning time, for several shard counts.
 * 2. Over the simulated WAN (bench/wan-proxy.ts, 100 ms RTT, 100 Mbit/s), the S20 set mirrored
 *    by 1, 2 and 4 shards, each shard with its own link to the source (its own runner): wall
 *    time from `mirrorbot plan` to the last shard, and bytes uploaded against unique bytes.
 * See bench/README.md.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { planShards, type ShardTask } from "../src/engine/shard.js";
import { uploadedBlobBytes } from "../test/harness/access-log.js";
import type { RunningRegistry } from "../test/harness/registry.js";
import { manifestDigest } from "./distribution.js";
import { FULL_SIZES, QUICK_SIZES } from "./options.js";
import { missingBlobBytes, TARGET_NAMESPACE } from "./sets.js";
import { killAllChildren, run } from "./spawn.js";
import { Stage, WAN } from "./stage.js";
import { startWanProxy, type WanProxy } from "./wan-proxy.js";

const MB = 1_000_000;
const CLI = resolve(fileURLToPath(new URL("../src/cli/main.js", import.meta.url)));
const SKOPEO_CACHE = "/var/lib/containers/cache/blob-info-cache-v1.boltdb";

// ---- 1. the planner on synthetic tasks ------------------------------------------------------

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 1,000 repositories x 10 tags. 8 OS bases (3-80 MB) per architecture; 40 runtimes (20-300 MB)
 * on them; 70% of repositories on a runtime, the rest on a bare base; 40% also for arm64;
 * a dependency layer (5-100 MB) shared by every 3 consecutive versions; an own layer (1-60 MB,
 * log-uniform) and a config per tag and architecture. Everything is missing at the target.
 */
export function syntheticTasks(repos = 1000, tagsPerRepo = 10): ShardTask[] {
  const rand = prng(13);
  const logUniform = (lo: number, hi: number) => Math.round(Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo))));
  const arches = ["amd64", "arm64"];
  const bases = Array.from({ length: 8 }, (_, i) => ({ i, size: logUniform(3 * MB, 80 * MB) }));
  const runtimes = Array.from({ length: 40 }, (_, i) => ({ i, base: bases[Math.floor(rand() * bases.length)]!, size: logUniform(20 * MB, 300 * MB) }));
  const tasks: ShardTask[] = [];
  for (let r = 0; r < repos; r++) {
    const runtime = rand() < 0.7 ? runtimes[Math.floor(rand() * runtimes.length)]! : null;
    const base = runtime?.base ?? bases[Math.floor(rand() * bases.length)]!;
    const archList = rand() < 0.4 ? arches : ["amd64"];
    const depSizes = new Map<number, number>();
    for (let v = 0; v < tagsPerRepo; v++) {
      const dep = Math.floor(v / 3);
      if (!depSizes.has(dep)) depSizes.set(dep, logUniform(5 * MB, 100 * MB));
      const blobs = archList.flatMap((arch) => [
        { digest: `base-${base.i}-${arch}`, size: base.size },
        ...(runtime ? [{ digest: `runtime-${runtime.i}-${arch}`, size: runtime.size }] : []),
        { digest: `dep-${r}-${dep}-${arch}`, size: depSizes.get(dep)! },
        { digest: `own-${r}-${v}-${arch}`, size: logUniform(1 * MB, 60 * MB) },
        { digest: `config-${r}-${v}-${arch}`, size: 5_000 },
      ]);
      tasks.push({ id: tasks.length, registry: "registry.example.com", repo: `mirror/app-${r}`, blobs, manifests: [`m-${r}-${v}`] });
    }
  }
  return tasks;
}

interface PlannerRow {
  shards: number;
  made: number;
  planningMs: number;
  balance: number;
  uniqueBytes: number;
  seedTasks: number;
  seedBytes: number;
  sharedAcrossShards: number;
  duplicateBytes: number;
}

function plannerRow(tasks: readonly ShardTask[], shards: number): PlannerRow {
  const started = performance.now();
  const split = planShards(tasks, { shards });
  const planningMs = performance.now() - started;
  const mean = split.weights.reduce((a, b) => a + b, 0) / split.weights.length;
  // Blobs that copies in two or more shards need: the seed uploads them, the shards mount them.
  const shardOf = new Map<number, number>();
  split.shards.forEach((ids, k) => ids.forEach((id) => shardOf.set(id, k)));
  const shardsOfBlob = new Map<string, { size: number; shards: Set<number> }>();
  for (const t of tasks) {
    const k = shardOf.get(t.id);
    if (k === undefined) continue;
    for (const b of t.blobs) {
      const e = shardsOfBlob.get(b.digest) ?? shardsOfBlob.set(b.digest, { size: b.size, shards: new Set() }).get(b.digest)!;
      e.shards.add(k);
    }
  }
  const sharedAcrossShards = [...shardsOfBlob.values()].filter((e) => e.shards.size > 1).reduce((n, e) => n + e.size, 0);
  return {
    shards,
    made: split.shards.length,
    planningMs: Math.round(planningMs),
    balance: Math.max(...split.weights) / mean,
    uniqueBytes: split.uniqueBytes,
    seedTasks: split.seed.length,
    seedBytes: split.seedBytes,
    sharedAcrossShards,
    duplicateBytes: split.duplicateBytes,
  };
}

function plannerTable(rows: PlannerRow[], taskCount: number): string {
  const gb = (n: number) => `${(n / 1e9).toFixed(1)} GB`;
  const head = `| shards asked / made | planning | balance (max / mean shard) | seed: copies, bytes (% of unique) | bytes shared across shards (seeded, mounted) | bytes uploaded twice |\n| --- | --- | --- | --- | --- | --- |`;
  const body = rows.map((r) => `| ${r.shards} / ${r.made} | ${r.planningMs} ms | ${r.balance.toFixed(3)} | ${r.seedTasks}, ${gb(r.seedBytes)} (${((100 * r.seedBytes) / r.uniqueBytes).toFixed(1)}%) | ${gb(r.sharedAcrossShards)} | ${r.duplicateBytes} |`);
  return `${taskCount} tasks, ${gb(rows[0]?.uniqueBytes ?? 0)} of unique blobs\n\n${head}\n${body.join("\n")}`;
}

// ---- 2. 1, 2 and 4 shards over the simulated WAN --------------------------------------------

interface WanRow {
  shards: number;
  wallMs: number;
  planMs: number;
  seedMs: number;
  shardsMs: number;
  uploaded: number;
  unique: number;
  verified: boolean;
}

function config(source: string, target: RunningRegistry): string {
  return [
    "targets:",
    "  - name: bench",
    `    registry: "${target.host}"`,
    `    namespace: ${TARGET_NAMESPACE}`,
    "    naming: { style: nested }",
    "    tlsVerify: false",
    "    credentials: { usernameEnv: BENCH_TARGET_USERNAME, passwordEnv: BENCH_TARGET_PASSWORD }",
    "sources:",
    `  - registry: "${source}"`,
    "    tlsVerify: false",
    "",
  ].join("\n");
}

async function wanRun(stage: Stage, source: RunningRegistry, shards: number, quick: boolean, mbit: number): Promise<WanRow> {
  const set = await stage.set("S20");
  const target = await stage.target(null);
  const dir = join(stage.workDir, `shards-${shards}`);
  await mkdir(dir, { recursive: true });
  // One link per shard (its own runner), the first one also for planning and the seed.
  const links: WanProxy[] = [];
  const port = Number(source.host.split(":")[1]);
  for (let k = 0; k < shards; k++) links.push(await startWanProxy(port, { ...WAN, bytesPerSecond: (mbit * 1_000_000) / 8 }));
  const env = { ...process.env, BENCH_TARGET_USERNAME: stage.targetAuth.username, BENCH_TARGET_PASSWORD: stage.targetAuth.password };
  const timeoutMs = quick ? 120_000 : 600_000;
  const cli = (args: string[]) => run(process.execPath, [CLI, ...args], { env, timeoutMs });
  try {
    for (const [k, link] of links.entries()) await writeFile(join(dir, `config-${k}.yml`), config(link.host, target));
    await writeFile(join(dir, "images.txt"), `${set.entries.map((e) => `${links[0]!.host}/${e.repo}:${e.tag}`).join("\n")}\n`);
    await rm(SKOPEO_CACHE, { force: true });
    const started = performance.now();
    await cli(["plan", join(dir, "images.txt"), "--config", join(dir, "config-0.yml"), "--out", join(dir, "plan.json"), "--shards", String(shards)]);
    const planned = performance.now();
    const planText = await readFile(join(dir, "plan.json"), "utf8");
    const plan = JSON.parse(planText) as { seed: number[]; shards: unknown[] };
    // Each shard reads the source through its own link: the same plan with its link's host.
    for (const [k, link] of links.entries()) await writeFile(join(dir, `plan-${k}.json`), planText.split(links[0]!.host).join(link.host));
    const part = (k: number, name: string) => cli(["sync", "--config", join(dir, `config-${k}.yml`), "--plan", join(dir, `plan-${k}.json`), "--shard", name, "--result", join(dir, `result-${name}.json`)]);
    if (plan.seed.length > 0) await part(0, "seed");
    const seeded = performance.now();
    await Promise.all(plan.shards.map((_, k) => part(k, String(k))));
    const finished = performance.now();
    let verified = true;
    for (const e of set.entries) {
      const digest = await manifestDigest({ url: target.url, auth: stage.targetAuth }, `${TARGET_NAMESPACE}/${e.repo}`, e.tag);
      if (digest !== e.digest) verified = false;
    }
    return {
      shards,
      wallMs: finished - started,
      planMs: planned - started,
      seedMs: seeded - planned,
      shardsMs: finished - seeded,
      uploaded: uploadedBlobBytes(await target.settledAccessLog()),
      unique: missingBlobBytes(set, null),
      verified,
    };
  } finally {
    for (const link of links) await link.close();
    await stage.stop(target);
  }
}

function wanTable(rows: WanRow[]): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const one = rows.find((r) => r.shards === 1)?.wallMs ?? NaN;
  const head = "| shards | wall (plan + seed + shards) | vs 1 shard | uploaded / unique | digests |\n| --- | --- | --- | --- | --- |";
  const body = rows.map((r) => `| ${r.shards} | ${s(r.wallMs)} (${s(r.planMs)} + ${s(r.seedMs)} + ${s(r.shardsMs)}) | ${(r.wallMs / one).toFixed(2)}x | ${(r.uploaded / r.unique).toFixed(3)} | ${r.verified ? "all equal to the source" : "MISMATCH"} |`);
  return `${head}\n${body.join("\n")}`;
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const plannerOnly = process.argv.includes("--planner-only");
  // Megabits per second of each shard's link; the bench's WAN has 100.
  const mbitArg = process.argv.indexOf("--mbit");
  const mbit = mbitArg >= 0 ? Number(process.argv[mbitArg + 1]) : WAN.bytesPerSecond / 125_000;
  if (!(mbit > 0)) throw new Error("--mbit takes a positive number of megabits per second");
  process.stdout.write(`date ${new Date().toISOString()}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}, node ${process.version}\n\n`);

  const tasks = syntheticTasks();
  process.stdout.write(`## planner\n\n${plannerTable([4, 8, 16, 32].map((n) => plannerRow(tasks, n)), tasks.length)}\n\n`);
  if (plannerOnly) return;

  const stage = await Stage.create(quick ? QUICK_SIZES : FULL_SIZES, 1);
  const stop = () => {
    killAllChildren();
    void stage.dispose().finally(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  try {
    const source = await stage.source(await stage.set("S20"));
    const rows: WanRow[] = [];
    for (const n of [1, 2, 4]) rows.push(await wanRun(stage, source, n, quick, mbit));
    process.stdout.write(`## S20 over the simulated WAN, ${WAN.delayMs * 2} ms RTT, ${mbit} Mbit/s per shard's link${quick ? " (--quick sizes)" : ""}\n\n${wanTable(rows)}\n\nload at end ${loadavg().map((l) => l.toFixed(2)).join(" ")}\n`);
  } finally {
    process.off("SIGINT", stop);
    await stage.dispose();
  }
}

await main();
