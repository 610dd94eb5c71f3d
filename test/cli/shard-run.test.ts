/**
 * A sharded sync end to end: real distribution registries on 127.0.0.1, the CLI built and run
 * as processes (`mirrorbot shard-run` starts one `mirrorbot sync --plan --shard K` process per
 * shard, all at once), and the registries' access logs as the witness of what was uploaded.
 * The image set shares one base layer across every shard, so the plan must seed it.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as merge } from "../../src/cli/merge.js";
import { run as sync } from "../../src/cli/sync.js";
import { readPlan } from "../../src/engine/plan-file.js";
import { parseResult, type SyncResult } from "../../src/engine/result.js";
import { countByKind, uploadedBlobBytes } from "../harness/access-log.js";
import { type PlatformSpec, type SeededImage, seedImages, uniqueBlobBytes } from "../harness/oci-image.js";
import { type RunningRegistry, startRegistry } from "../harness/registry.js";
import { localConfigYaml } from "../harness/mirror-config.js";

const TIMEOUT = 300_000;
const AUTH = { username: "mirror", password: "s3cret-shard-Password" };
const CACHE_DIR = "/var/lib/containers/cache";
const SKOPEO_CACHE = `${CACHE_DIR}/blob-info-cache-v1.boltdb`;
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(repoRoot, "dist/src/cli/main.js");

const base = { seed: "shard-base", size: 400_000 };
const runtime = { seed: "shard-runtime", size: 200_000 };
const amd64 = (...layers: Array<{ seed: string; size: number }>): PlatformSpec[] => [{ os: "linux", architecture: "amd64", layers: [base, ...layers] }];
const specs = [
  { repo: "library/nginx", tag: "1.26", platforms: [
    { os: "linux", architecture: "amd64", layers: [base, { seed: "shard-nginx-amd64", size: 90_000 }] },
    { os: "linux", architecture: "arm64", variant: "v8", layers: [{ seed: "shard-base-arm64", size: 250_000 }, { seed: "shard-nginx-arm64", size: 80_000 }] },
  ] },
  { repo: "library/redis", tag: "7", platforms: amd64(runtime, { seed: "shard-redis", size: 70_000 }) },
  { repo: "library/python", tag: "3.12", platforms: amd64(runtime, { seed: "shard-python", size: 120_000 }) },
  { repo: "library/node", tag: "22", platforms: amd64(runtime, { seed: "shard-node", size: 110_000 }) },
  { repo: "library/busybox", tag: "1", platforms: amd64({ seed: "shard-busybox", size: 30_000 }) },
  { repo: "team/api", tag: "2.0", platforms: amd64({ seed: "shard-api", size: 90_000 }) },
  { repo: "team/web", tag: "2.0", platforms: amd64({ seed: "shard-web", size: 60_000 }) },
  { repo: "team/worker", tag: "2.0", platforms: amd64({ seed: "shard-worker", size: 100_000 }) },
];

let source: RunningRegistry;
let single: RunningRegistry;
let sharded: RunningRegistry;
let work: string;
let images: SeededImage[];

function config(targetHost: string): string {
  return localConfigYaml({ targetHost, sources: [{ host: source.host }], extra: ["engine: { concurrency: 4, retries: 1 }"] });
}

const env = () => ({ PATH: process.env.PATH ?? "", HOME: work, TARGET_USER: AUTH.username, TARGET_PASSWORD: AUTH.password, MIRRORBOT_REQUEST: "7-42" });

/**
 * skopeo as root keeps one blob-info cache per machine, and learns from it where other copies
 * put a blob: shards on one machine would mount through it what separate runners cannot. This
 * wrapper gives every skopeo run an empty cache of its own (a private mount namespace), as a
 * fresh runner has; null where the machine does not allow one.
 */
async function isolatedSkopeo(): Promise<string | null> {
  const probe = spawnSync("unshare", ["-m", "sh", "-c", `mount -t tmpfs none ${CACHE_DIR}`], { encoding: "utf8", timeout: 10_000 });
  if (probe.status !== 0) return null;
  const wrapper = join(work, "skopeo-fresh-cache");
  await writeFile(wrapper, `#!/bin/sh\nexec unshare -m sh -c 'mount -t tmpfs none ${CACHE_DIR} && exec skopeo "$@"' skopeo "$@"\n`, { mode: 0o755 });
  return wrapper;
}
let skopeo: string | null = null;

/** Run the built CLI as a process. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const extra = skopeo ? { MIRRORBOT_SKOPEO: skopeo } : {};
    execFile(process.execPath, [bin, ...args], { cwd: work, env: { ...env(), ...extra }, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function digestAt(registry: RunningRegistry, repoTag: string): Promise<string | null> {
  const [repo, tag] = repoTag.split(":") as [string, string];
  const res = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      accept: "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
      authorization: `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString("base64")}`,
    },
  });
  return res.status === 200 ? res.headers.get("docker-content-digest") : null;
}

const mirrored = (img: SeededImage) => `mirror/${img.repo.replace("/", "_")}:${img.tag}`;
const readResult = async (file: string): Promise<SyncResult> => parseResult(JSON.parse(await readFile(join(work, file), "utf8")));

beforeAll(async () => {
  // The shard processes run the built CLI, as a runner would.
  const build = spawnSync(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", join(repoRoot, "tsconfig.json")], { cwd: repoRoot, encoding: "utf8", timeout: 240_000 });
  if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
  [source, single, sharded] = await Promise.all([startRegistry(), startRegistry({ auth: AUTH }), startRegistry({ auth: AUTH })]);
  work = await mkdtemp(join(tmpdir(), "mirrorbot-shards-"));
  images = await seedImages(source, specs);
  await writeFile(join(work, "images.txt"), `${images.map((i) => `${source.host}/${i.repo}:${i.tag}`).join("\n")}\n`);
  await writeFile(join(work, "single.yml"), config(single.host));
  await writeFile(join(work, "sharded.yml"), config(sharded.host));
  await mkdir(CACHE_DIR, { recursive: true });
  skopeo = await isolatedSkopeo();
  if (!skopeo) console.warn("shard-run test: no private mount namespace here; skopeo's shared blob-info cache may mount what separate runners could not");
}, TIMEOUT);

afterAll(async () => {
  await Promise.all([source?.stop(), single?.stop(), sharded?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe("a sync over shards run as processes at once", () => {
  it("mirrors what one run mirrors, digest for digest, uploading each unique blob about once", async () => {
    await rm(SKOPEO_CACHE, { force: true });
    const one = await cli(["sync", "--config", "single.yml", "--result", "single.json"]);
    expect(one.code, one.stderr).toBe(0);

    await rm(SKOPEO_CACHE, { force: true });
    const sourceBefore = (await source.settledAccessLog()).length;
    const out = await cli(["shard-run", "--config", "sharded.yml", "--shards", "3", "--keep", "parts", "--result", "result.json"]);
    expect(out.code, out.stderr).toBe(0);

    // The plan split the set three ways and seeded the base layer they all share.
    const plan = await readPlan(join(work, "parts/plan.json"));
    expect(plan.shards).toHaveLength(3);
    expect(plan.seed.length).toBeGreaterThan(0);
    expect(plan.stats.duplicateBytes).toBe(0);
    for (let k = 0; k < 3; k++) expect(out.stdout).toContain(`[shard ${k}] done:`);

    // The union of the target is the single run's, digest for digest.
    const merged = await readResult("result.json");
    const alone = await readResult("single.json");
    const digests = (r: SyncResult) => r.tasks.map((t) => [t.target.replace(/^[^/]+\//, ""), t.status, t.targetDigest]);
    expect(digests(merged)).toEqual(digests(alone));
    for (const img of images) {
      expect(await digestAt(sharded, mirrored(img))).toBe(img.digest);
      expect(await digestAt(sharded, mirrored(img))).toBe(await digestAt(single, mirrored(img)));
    }

    // Bytes from the target's own access log: at most 5% over the unique blobs.
    const unique = uniqueBlobBytes(images);
    const uploaded = uploadedBlobBytes(await sharded.settledAccessLog());
    expect(uploaded).toBeLessThanOrEqual(unique * 1.05);
    expect(uploaded).toBeGreaterThanOrEqual(unique);

    // The merged result is a valid result of the request, with one entry per task.
    expect(merged.request).toBe("7-42");
    expect(merged.summary).toMatchObject({ total: images.length, copied: images.length, failed: 0 });

    // Planning read each source manifest once; the shards' engines read none again.
    const mirrorbotGets = countByKind((await source.settledAccessLog()).slice(sourceBefore).filter((e) => e.userAgent === "mirrorbot")).manifestGet;
    expect(mirrorbotGets).toBe(plan.tasks.reduce((n, t) => n + t.manifests.length, 0));
  }, TIMEOUT);

  it("keeps every blob to one upload with skopeo as the copier too (the seed's blobs premounted)", async () => {
    await writeFile(join(work, "skopeo.yml"), config(sharded.host).replace("namespace: mirror", "namespace: viaskopeo").replace("    tlsVerify: false\n    credentials", "    tlsVerify: false\n    copier: skopeo\n    credentials"));
    const before = (await sharded.settledAccessLog()).length;
    const out = await cli(["shard-run", "--config", "skopeo.yml", "--shards", "3", "--keep", "skopeo-parts", "--result", "skopeo.json"]);
    expect(out.code, out.stderr).toBe(0);
    const plan = await readPlan(join(work, "skopeo-parts/plan.json"));
    expect(plan.seed.length).toBeGreaterThan(0);
    for (const img of images) expect(await digestAt(sharded, mirrored(img).replace(/^mirror\//, "viaskopeo/"))).toBe(img.digest);
    const uploaded = uploadedBlobBytes((await sharded.settledAccessLog()).slice(before));
    expect(uploaded).toBeLessThanOrEqual(uniqueBlobBytes(images) * 1.05);
    expect((await readResult("skopeo.json")).summary).toMatchObject({ total: images.length, copied: images.length, failed: 0 });
  }, TIMEOUT);

  it("merges honestly when a shard left no result: its copies are failed and not run, the others kept", async () => {
    const plan = await readPlan(join(work, "parts/plan.json"));
    await unlink(join(work, "parts/result-1.json"));
    let stdout = "";
    let stderr = "";
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: work };
    const files = ["parts/result-seed.json", "parts/result-0.json", "parts/result-1.json", "parts/result-2.json"];
    const code = await merge(["--plan", "parts/plan.json", "--config", "sharded.yml", "--out", "partial.json", ...files], io, { PATH: process.env.PATH ?? "" });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^warning: parts\/result-1\.json: skipped: cannot read it \(ENOENT\)$/m);
    const result = await readResult("partial.json");
    const lost = new Set(plan.shards[1]!.tasks.map((id) => plan.tasks.find((t) => t.id === id)!.target));
    expect(result.tasks).toHaveLength(images.length);
    for (const t of result.tasks) {
      if (lost.has(t.target)) expect(t).toMatchObject({ status: "failed", error: "not run: shard 1 reported no result (its job failed or was cancelled before writing one)" });
      else expect(t.status).toBe("copied");
    }
    expect(stdout).toContain(`(${lost.size} not run)`);
  }, TIMEOUT);
});

/** The outputs `sync --fan-out` appended for the workflow, as a record. */
async function outputs(file: string): Promise<Record<string, string>> {
  return Object.fromEntries((await readFile(join(work, file), "utf8")).trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

/** `mirrorbot sync --fan-out` in-process, as the mirror job runs it. */
async function fanOut(config: string, dir: string, extra: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: work };
  await mkdir(join(work, dir), { recursive: true });
  await writeFile(join(work, dir, "out"), "");
  const code = await sync(["--config", config, "--fan-out", `${dir}/plan.json`, "--result", `${dir}/result.json`, "--github-output", `${dir}/out`, ...extra], io, { ...env(), ...(skopeo ? { MIRRORBOT_SKOPEO: skopeo } : {}) });
  return { code, stdout, stderr };
}

describe("sync --fan-out, the mirror job's step", () => {
  it("starts no shard for a no-op run, and writes the complete result itself", async () => {
    const out = await fanOut("sharded.yml", "noop", ["--shards", "3"]);
    expect(out.code, out.stderr).toBe(0);
    expect(await outputs("noop/out")).toEqual({ fanout: "false", shards: "[]", seed: "false", max_parallel: "8" });
    const result = await readResult("noop/result.json");
    expect(result.summary).toMatchObject({ total: images.length, skipped: images.length, copied: 0, failed: 0 });
  }, TIMEOUT);

  it("keeps a small run in one job: one shard, synced here, no seed", async () => {
    await writeFile(join(work, "small.yml"), config(sharded.host).replace("namespace: mirror", "namespace: small"));
    const before = uploadedBlobBytes(await sharded.settledAccessLog());
    const out = await fanOut("small.yml", "small");
    expect(out.code, out.stderr).toBe(0);
    expect(await outputs("small/out")).toEqual({ fanout: "false", shards: "[0]", seed: "false", max_parallel: "8" });
    const result = await readResult("small/result.json");
    expect(result.summary).toMatchObject({ total: images.length, copied: images.length, failed: 0 });
    // One job, one engine: every blob the new namespace needed was mounted or uploaded once.
    expect(uploadedBlobBytes(await sharded.settledAccessLog()) - before).toBeLessThanOrEqual(uniqueBlobBytes(images));
  }, TIMEOUT);

  it("keeps a small run of tag sets in one job, with the sets and their new tags in result.json", async () => {
    await writeFile(join(work, "sets.yml"), config(sharded.host).replace("namespace: mirror", "namespace: sets"));
    await writeFile(join(work, "sets.txt"), `${source.host}/team/api:{2.*}\n`);
    const out = await fanOut("sets.yml", "sets", ["sets.txt"]);
    expect(out.code, out.stderr).toBe(0);
    expect(await outputs("sets/out")).toEqual({ fanout: "false", shards: "[0]", seed: "false", max_parallel: "8" });
    const result = await readResult("sets/result.json");
    expect(result.tasks.map((t) => [t.target, t.status, t.rule, t.new])).toEqual([[`${sharded.host}/sets/team_api:2.0`, "copied", `${source.host}/team/api:{2.*}`, true]]);
    expect(result.tagSets?.map((t) => [t.line, t.tags, t.newTags])).toEqual([[1, ["2.0"], ["2.0"]]]);
  }, TIMEOUT);

  it("fans a large run out: runs only the seed, leaves the shards to the matrix and the result to the merge", async () => {
    await writeFile(join(work, "large.yml"), config(sharded.host).replace("namespace: mirror", "namespace: large"));
    const out = await fanOut("large.yml", "large", ["--shards", "3"]);
    expect(out.code, out.stderr).toBe(0);
    expect(await outputs("large/out")).toEqual({ fanout: "true", shards: "[0,1,2]", seed: "true", max_parallel: "8" });
    const plan = await readPlan(join(work, "large/plan.json"));
    const seed = await readResult("large/result-seed.json");
    expect(seed.tasks.map((t) => t.target)).toEqual(plan.seed.map((id) => plan.tasks.find((t) => t.id === id)!.target));
    expect(seed.summary.copied).toBe(plan.seed.length);
    await expect(readFile(join(work, "large/result.json"))).rejects.toThrow(/ENOENT/);
  }, TIMEOUT);
});
