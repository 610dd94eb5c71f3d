/**
 * The five ways to mirror a list of images that the bench compares. Each one gets the same job
 * (source host as the tools see it, target host, the tags to copy) and mirrors every
 * `SOURCE/<repo>:<tag>` to `TARGET/mirror/<repo>:<tag>`.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { RegistryAuth } from "../test/harness/registry.js";
import { pool } from "./pool.js";
import { TARGET_NAMESPACE } from "./sets.js";
import { run } from "./spawn.js";

/** What to mirror, as the tools see it. */
export interface MirrorJob {
  /** "127.0.0.1:PORT" of the source (the WAN proxy in WAN mode). */
  source: string;
  /** "127.0.0.1:PORT" of the target. */
  target: string;
  entries: ReadonlyArray<{ repo: string; tag: string }>;
  /** Every tag each source repository has; `skopeo sync` of a whole repository copies all of them. */
  sourceTags: ReadonlyMap<string, readonly string[]>;
}

/** Everything a method needs for one run. */
export interface MethodContext {
  job: MirrorJob;
  targetAuth: RegistryAuth;
  /** A containers auth file holding the target's credentials. */
  authFile: string;
  /** An empty directory for this run's files. */
  scratch: string;
  timeoutMs: number;
  signal: AbortSignal;
}

/** One way of mirroring. */
export interface Method {
  id: "seed" | "skopeo-seq" | "skopeo-par8" | "skopeo-sync" | "mirrorbot" | "mirrorbot-skopeo" | "floor";
  label: string;
  /** Why it cannot run here, or null when it can. */
  unavailable(): Promise<string | null>;
  /** Write what the run needs (outside the measured time). */
  prepare?(ctx: MethodContext): Promise<void>;
  run(ctx: MethodContext): Promise<void>;
}

const SRC_FLAGS = ["--src-tls-verify=false"];
const dstFlags = (ctx: MethodContext) => ["--dest-tls-verify=false", "--dest-authfile", ctx.authFile];
const srcRef = (ctx: MethodContext, e: { repo: string; tag: string }) => `docker://${ctx.job.source}/${e.repo}:${e.tag}`;
const dstRef = (ctx: MethodContext, e: { repo: string; tag: string }) => `docker://${ctx.job.target}/${TARGET_NAMESPACE}/${e.repo}:${e.tag}`;

const skopeo = (ctx: MethodContext, args: string[]) => run("skopeo", args, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
const always = async () => null;

/**
 * Run `each` on every item, `parallel` at a time, going on after a failure (so a run on a flaky
 * link shows how many images a method copies), then throw the first error with the count.
 */
async function everyOne<T>(items: readonly T[], parallel: number, each: (item: T) => Promise<void>): Promise<void> {
  const errors: unknown[] = [];
  await pool(items, parallel, (item) => each(item).catch((err: unknown) => void errors.push(err)));
  if (errors.length === 0) return;
  const first = errors[0] instanceof Error ? errors[0].message : String(errors[0]);
  throw new Error(`${errors.length} of ${items.length} failed; first: ${first}`);
}

function copyAll(ctx: MethodContext, e: { repo: string; tag: string }): Promise<void> {
  return skopeo(ctx, ["copy", "--all", ...SRC_FLAGS, ...dstFlags(ctx), srcRef(ctx, e), dstRef(ctx, e)]);
}

/** 1. What `docker pull` / `tag` / `push` in a shell loop does: stage every image on disk, then push it. */
const seed: Method = {
  id: "seed",
  label: "1 seed-style pull/push",
  unavailable: always,
  run: (ctx) =>
    everyOne([...ctx.job.entries.entries()], 1, async ([i, e]) => {
      const dir = join(ctx.scratch, `image-${i}`);
      try {
        await skopeo(ctx, ["copy", "--all", ...SRC_FLAGS, srcRef(ctx, e), `dir:${dir}`]);
        await skopeo(ctx, ["copy", "--all", ...dstFlags(ctx), `dir:${dir}`, dstRef(ctx, e)]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }),
};

/** 2. One `skopeo copy --all` per image, one after the other. */
const skopeoSeq: Method = {
  id: "skopeo-seq",
  label: "2 skopeo copy, sequential",
  unavailable: always,
  run: (ctx) => everyOne(ctx.job.entries, 1, (e) => copyAll(ctx, e)),
};

/** 3. Eight `skopeo copy --all` at a time. */
const skopeoPar8: Method = {
  id: "skopeo-par8",
  label: "3 skopeo copy, 8 parallel",
  unavailable: always,
  run: (ctx) => everyOne(ctx.job.entries, 8, (e) => copyAll(ctx, e)),
};

/**
 * 4. `skopeo sync` per source repository. sync names a destination by the source's last path
 * component only (library/nginx and bitnami/nginx would both land in DEST/nginx), so each
 * repository is synced into TARGET/mirror/<namespace>, which gives the same names as the
 * other methods. A repository is synced whole when every tag it has is wanted, else tag by tag.
 */
const skopeoSync: Method = {
  id: "skopeo-sync",
  label: "4 skopeo sync",
  unavailable: always,
  async run(ctx) {
    const byRepo = new Map<string, string[]>();
    for (const e of ctx.job.entries) byRepo.set(e.repo, [...(byRepo.get(e.repo) ?? []), e.tag]);
    const calls = [...byRepo].flatMap(([repo, tags]) => {
      const all = ctx.job.sourceTags.get(repo) ?? [];
      const whole = all.length === tags.length && all.every((t) => tags.includes(t));
      const dest = `${ctx.job.target}/${TARGET_NAMESPACE}/${dirname(repo)}`;
      const sources = whole ? [`${ctx.job.source}/${repo}`] : tags.map((t) => `${ctx.job.source}/${repo}:${t}`);
      return sources.map((source) => ({ source, dest }));
    });
    await everyOne(calls, 1, ({ source, dest }) =>
      skopeo(ctx, ["sync", "--all", "--src", "docker", "--dest", "docker", ...SRC_FLAGS, ...dstFlags(ctx), source, dest]),
    );
  },
};

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The built CLI the lead's engine provides. */
export const MIRRORBOT_CLI = join(ROOT, "dist", "src", "cli", "main.js");
const USER_ENV = "BENCH_TARGET_USERNAME";
const PASSWORD_ENV = "BENCH_TARGET_PASSWORD";

/** The copier a mirrorbot method asks for; null leaves the engine's default (its own copier). */
type Copier = "skopeo" | null;

function mirrorbotConfig(ctx: MethodContext, copier: Copier): string {
  // JSON is YAML; the engine validates it with its own schema.
  return JSON.stringify(
    {
      targets: [
        {
          name: "bench",
          registry: ctx.job.target,
          namespace: TARGET_NAMESPACE,
          naming: { style: "nested" },
          tlsVerify: false,
          credentials: { usernameEnv: USER_ENV, passwordEnv: PASSWORD_ENV },
          ...(copier ? { copier } : {}),
        },
      ],
      sources: [{ registry: ctx.job.source, tlsVerify: false }],
    },
    null,
    2,
  );
}

/** The failed tasks a result.json names (their count and the first errors), to say why a run failed. */
async function failedTasks(file: string): Promise<string> {
  try {
    const result = JSON.parse(await readFile(file, "utf8")) as { tasks?: Array<{ status?: string; target?: string; error?: string | null }> };
    const failed = (result.tasks ?? []).filter((t) => t.status === "failed");
    return ` | result.json: ${failed.length} failed${failed.slice(0, 3).map((t) => `; ${t.target}: ${t.error}`).join("")}`;
  } catch {
    return " | no result.json";
  }
}

/** Why the built CLI cannot run a sync with `copier`, or null when it can. */
async function cliUnavailable(copier: Copier): Promise<string | null> {
  if (!existsSync(MIRRORBOT_CLI)) return `not built: ${MIRRORBOT_CLI} is missing (npx tsc -p tsconfig.json)`;
  const out = await new Promise<string | null>((done) => {
    execFile(process.execPath, [MIRRORBOT_CLI, copier ? "schema" : "sync", ...(copier ? [] : ["--help"])], { timeout: 30_000 }, (err, stdout) => done(err === null ? stdout : null));
  });
  if (out === null) return copier ? '"mirrorbot schema" is not available in the built CLI' : '"mirrorbot sync" is not available yet in the built CLI';
  // The config schema names every key the engine accepts; without "copier" the option does not exist yet.
  return copier && !out.includes('"copier"') ? `the built CLI has no "copier: ${copier}" option yet` : null;
}

/** `mirrorbot sync` from the built CLI, as a subprocess, credentials in the environment. */
function mirrorbotMethod(id: "mirrorbot" | "mirrorbot-skopeo", label: string, copier: Copier): Method {
  return {
    id,
    label,
    unavailable: () => cliUnavailable(copier),
    async prepare(ctx) {
      await writeFile(join(ctx.scratch, "images.txt"), ctx.job.entries.map((e) => `${ctx.job.source}/${e.repo}:${e.tag}\n`).join(""));
      await writeFile(join(ctx.scratch, "mirrorbot.yml"), mirrorbotConfig(ctx, copier));
    },
    async run(ctx) {
      const images = join(ctx.scratch, "images.txt");
      const config = join(ctx.scratch, "mirrorbot.yml");
      const env = { ...process.env, [USER_ENV]: ctx.targetAuth.username, [PASSWORD_ENV]: ctx.targetAuth.password };
      const result = join(ctx.scratch, "result.json");
      const args = [MIRRORBOT_CLI, "sync", images, "--config", config, "--result", result];
      try {
        await run(process.execPath, args, { env, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
      } catch (err) {
        throw new Error(`${err instanceof Error ? err.message : String(err)}${await failedTasks(result)}`);
      }
    },
  };
}

/** 5. mirrorbot with its default copier (its own, since issue #11). */
const mirrorbot = mirrorbotMethod("mirrorbot", "5 mirrorbot sync", null);
/** 6. mirrorbot with `copier: skopeo` on the target: the same engine, one skopeo process per image. */
const mirrorbotSkopeo = mirrorbotMethod("mirrorbot-skopeo", "6 mirrorbot sync, copier: skopeo", "skopeo");

/** All methods, in report order. */
export const METHODS: readonly Method[] = [seed, skopeoSeq, skopeoPar8, skopeoSync, mirrorbot, mirrorbotSkopeo];
