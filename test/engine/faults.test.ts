/**
 * `mirrorbot sync` on a flaky link: a fault proxy between the engine and real distribution
 * registries injects 503s, mid-body resets, corrupted bytes and stalls. Every case ends with
 * the registries' own state and access logs as the witness.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { countByKind, parseRoute, uploadedBlobs, uploadedBlobBytes } from "../harness/access-log.js";
import { startFaultProxy, type FaultProxy, type FaultRule } from "../harness/fault-proxy.js";
import { uniqueBlobBytes, type SeededImage } from "../harness/oci-image.js";
import type { RunningRegistry } from "../harness/registry.js";
import { blobBytesServed, blobIn, digestAt, freshTarget, mirror, mirrored, seededSource, workDir } from "./helpers/fault-world.js";

const TIMEOUT = 120_000;

let source: RunningRegistry;
let images: SeededImage[];
let work: { dir: string; dispose: () => Promise<void> };
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  ({ source, images } = await seededSource());
  work = await workDir();
}, TIMEOUT);

afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

afterAll(async () => {
  await source?.stop();
  await work?.dispose();
});

async function target(): Promise<RunningRegistry> {
  const t = await freshTarget();
  cleanups.push(() => t.stop());
  return t;
}

async function proxy(upstream: RunningRegistry, rules: FaultRule[]): Promise<FaultProxy> {
  const p = await startFaultProxy(upstream, rules);
  cleanups.unshift(() => p.close());
  return p;
}

const lines = (host: string) => images.map((i) => `${host}/${i.repo}:${i.tag}`);

async function expectAllMirrored(t: RunningRegistry, subset: readonly SeededImage[] = images): Promise<void> {
  const got = await Promise.all(subset.map(async (img) => [mirrored(img), await digestAt(t, mirrored(img))]));
  expect(Object.fromEntries(got)).toEqual(Object.fromEntries(subset.map((img) => [mirrored(img), img.digest])));
}

/** Every blob of every manifest the target holds for `img` is in that repository. */
async function expectComplete(t: RunningRegistry, img: SeededImage): Promise<void> {
  const repo = mirrored(img).split(":")[0]!;
  for (const m of img.manifests) for (const b of [m.config, ...m.layers]) expect(await blobIn(t, repo, b.digest), `${repo} ${b.digest}`).toBe(true);
}

const status503: FaultRule["fault"] = { kind: "status", status: 503, code: "UNAVAILABLE", message: "service unavailable" };

describe("mirrorbot sync through faults", () => {
  it("503 on every 3rd request at the target: every image copied, exit 0, every digest equal", async () => {
    const t = await target();
    const p = await proxy(t, [{ every: 3, fault: status503 }]);
    const out = await mirror({ work: work.dir, targetHost: p.host, sources: [{ host: source.host }], lines: lines(source.host) });
    expect(out.stdout).toMatch(/^done: 6 copied, 0 skipped, 0 failed/m);
    expect(out.code).toBe(0);
    expect(p.count("status")).toBeGreaterThan(10);
    await expectAllMirrored(t);
    // Each unique blob was stored once: a 503 never made a blob cross twice.
    expect(uploadedBlobBytes(await t.settledAccessLog())).toBe(uniqueBlobBytes(images));
  }, TIMEOUT);

  it("503 on every 3rd request at the source: every image copied, exit 0, every digest equal, each blob uploaded once", async () => {
    const t = await target();
    const p = await proxy(source, [{ every: 3, fault: status503 }]);
    const out = await mirror({ work: work.dir, targetHost: t.host, sources: [{ host: p.host }], lines: lines(p.host) });
    expect(out.stdout).toMatch(/^done: 6 copied, 0 skipped, 0 failed/m);
    expect(out.code).toBe(0);
    expect(p.count("status")).toBeGreaterThan(10);
    await expectAllMirrored(t);
    const uploads = uploadedBlobs(await t.settledAccessLog());
    expect(uploads.length).toBe(new Set(uploads.map((u) => u.digest)).size);
    expect(uploadedBlobBytes(await t.settledAccessLog())).toBe(uniqueBlobBytes(images));
  }, TIMEOUT);

  it("a reset in the middle of blob downloads: every image copied, each reset costs at most its blob, and the download resumes by Range", async () => {
    const t = await target();
    const before = (await source.settledAccessLog()).length;
    // Only blobs longer than the cut, so every rule hit is a real break mid-body.
    const long = new Set(images.flatMap((i) => i.blobs.filter((b) => b.size > 150_000).map((b) => b.digest)));
    const p = await proxy(source, [{ kinds: ["blob-get"], where: (r) => long.has(r.reference ?? "") && r.headers.range === undefined, every: 2, fault: { kind: "reset", afterBytes: 100_000 } }]);
    const out = await mirror({ work: work.dir, targetHost: t.host, sources: [{ host: p.host }], lines: lines(p.host) });
    expect(out.code).toBe(0);
    await expectAllMirrored(t);
    const resets = p.events.filter((e) => e.fault === "reset");
    expect(resets.length).toBeGreaterThan(2);
    const log = (await source.settledAccessLog()).slice(before);
    const sizes = new Map(images.flatMap((i) => i.blobs.map((b) => [b.digest, b.size] as const)));
    // What the source served: every blob once, plus at most the blob a reset hit, per reset.
    const resetCost = resets.reduce((n, e) => n + (sizes.get(e.reference ?? "") ?? 0), 0);
    expect(blobBytesServed(log)).toBeLessThanOrEqual(uniqueBlobBytes(images) + resetCost);
    // A broken download carries on from the byte where it broke.
    for (const e of resets) {
      const resumed = log.filter((l) => l.method === "GET" && l.status === 206 && parseRoute(l.path).kind === "blob" && l.path.endsWith(e.reference ?? "?"));
      expect(resumed.length, `a Range GET of ${e.reference}`).toBeGreaterThan(0);
    }
    const resumedFrom = p.requests.filter((r) => r.kind === "blob-get" && r.headers.range !== undefined).map((r) => r.headers.range);
    expect(resumedFrom).toContain("bytes=100000-");
    expect(uploadedBlobBytes(await t.settledAccessLog())).toBe(uniqueBlobBytes(images));
  }, TIMEOUT);

  it("a reset in the middle of blob uploads: every image copied, and each reset costs at most the one blob it hit", async () => {
    const t = await target();
    const before = (await source.settledAccessLog()).length;
    const big = (r: { headers: Record<string, unknown> }) => Number(r.headers["content-length"] ?? 0) > 100_000 || r.headers["transfer-encoding"] === "chunked";
    const p = await proxy(t, [{ kinds: ["upload-patch", "upload-put", "upload-post"], where: big, every: 3, fault: { kind: "reset", afterBytes: 60_000 } }]);
    const out = await mirror({ work: work.dir, targetHost: p.host, sources: [{ host: source.host }], lines: lines(source.host) });
    expect(out.code).toBe(0);
    await expectAllMirrored(t);
    const resets = p.events.filter((e) => e.fault === "reset");
    expect(resets.length).toBeGreaterThan(1);
    // Each blob was stored once; a reset sent again only the blob it hit.
    const uploads = uploadedBlobs(await t.settledAccessLog());
    expect(uploads.length).toBe(new Set(uploads.map((u) => u.digest)).size);
    const largest = Math.max(...images.flatMap((i) => i.blobs.map((b) => b.size)));
    const log = (await source.settledAccessLog()).slice(before);
    expect(blobBytesServed(log)).toBeLessThanOrEqual(uniqueBlobBytes(images) + resets.length * largest);
  }, TIMEOUT);

  it("corrupted bytes from the source are never committed, are retried, and the copy ends correct", async () => {
    const t = await target();
    const p = await proxy(source, [{ kinds: ["blob-get"], every: 3, times: 4, fault: { kind: "corrupt" } }]);
    const out = await mirror({ work: work.dir, targetHost: t.host, sources: [{ host: p.host }], lines: lines(p.host) });
    expect(out.code).toBe(0);
    expect(p.count("corrupt")).toBe(4);
    await expectAllMirrored(t);
    for (const img of images) await expectComplete(t, img);
    // The registry verifies digests on upload: only good blobs landed, each once.
    const uploads = uploadedBlobs(await t.settledAccessLog());
    expect(uploads.length).toBe(new Set(uploads.map((u) => u.digest)).size);
  }, TIMEOUT);

  it("a blob that always arrives corrupted fails its image only, and the target never holds that image's manifest", async () => {
    const t = await target();
    const victim = images.find((i) => i.repo === "library/busybox")!;
    const layer = victim.manifests[0]!.layers[0]!.digest;
    const p = await proxy(source, [{ kinds: ["blob-get"], where: (r) => r.reference === layer, fault: { kind: "corrupt" } }]);
    // One retry is enough to show it is retried, and keeps the test short.
    const out = await mirror({ work: work.dir, targetHost: t.host, sources: [{ host: p.host }], lines: lines(p.host), args: ["--retries", "1"] });
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^done: 5 copied, 0 skipped, 1 failed/m);
    expect(await digestAt(t, mirrored(victim))).toBeNull();
    const log = await t.settledAccessLog();
    expect(log.filter((e) => e.method === "PUT" && parseRoute(e.path).kind === "manifest" && e.path.includes("library_busybox"))).toEqual([]);
    expect(log.some((e) => e.upload?.digest === layer)).toBe(false);
    expect(p.count("corrupt")).toBeGreaterThan(1);
    await expectAllMirrored(t, images.filter((i) => i !== victim));
    const task = out.result?.tasks.find((x) => x.source.endsWith("library/busybox:1"));
    expect(task?.status).toBe("failed");
    expect(task?.error).toMatch(new RegExp(`^source ${p.host}/library/busybox:1: ${p.host} sent ${layer} with content of digest sha256:[0-9a-f]{64}; not uploaded$`));
  }, TIMEOUT);

  it("a 150 s stall on one blob GET is cut by the stall timeout and retried, while the other images finish meanwhile", async () => {
    const t = await target();
    const victim = images.find((i) => i.repo === "library/alpine")!;
    const layer = victim.manifests[0]!.layers[0]!.digest;
    const p = await proxy(source, [{ kinds: ["blob-get"], where: (r) => r.reference === layer, times: 1, fault: { kind: "stall", ms: 150_000, afterBytes: 50_000 } }]);
    // The stalled image comes first, so its copy starts before the others'.
    const ordered = [victim, ...images.filter((i) => i !== victim)];
    const out = await mirror({ work: work.dir, targetHost: t.host, sources: [{ host: p.host }], lines: ordered.map((i) => `${p.host}/${i.repo}:${i.tag}`) });
    expect(out.code).toBe(0);
    expect(p.count("stall")).toBe(1);
    await expectAllMirrored(t);
    // The stalled GET was given up and asked again; the other images' manifests went up first.
    expect(p.requests.filter((r) => r.kind === "blob-get" && r.reference === layer).length).toBeGreaterThan(1);
    const puts = (await t.settledAccessLog()).filter((e) => e.method === "PUT" && parseRoute(e.path).kind === "manifest").map((e) => e.path);
    const lastPut = (img: SeededImage) => puts.findLastIndex((path) => path.startsWith(`/v2/${mirrored(img).split(":")[0]!}/manifests/`));
    for (const img of images.filter((i) => i !== victim)) expect(lastPut(img), img.repo).toBeLessThan(lastPut(victim));
  }, TIMEOUT);

  it("a stalled manifest HEAD at the target does not delay the other entries' copies", async () => {
    const t = await target();
    const victim = images.find((i) => i.repo === "library/alpine")!;
    const repo = mirrored(victim).split(":")[0]!;
    const p = await proxy(t, [{ kinds: ["manifest-head", "tags"], repo, times: 1, fault: { kind: "stall", ms: 150_000 } }]);
    const ordered = [victim, ...images.filter((i) => i !== victim)];
    const out = await mirror({ work: work.dir, targetHost: p.host, sources: [{ host: source.host }], lines: ordered.map((i) => `${source.host}/${i.repo}:${i.tag}`) });
    expect(out.code).toBe(0);
    expect(p.count("stall")).toBe(1);
    await expectAllMirrored(t);
    // Every other image's manifest went up before the stalled repository was asked again.
    const stalled = p.events[0]!;
    const stalledAt = p.requests.findIndex((r) => r.url === stalled.url && r.method === stalled.method);
    const nextAsk = p.requests.findIndex((r, i) => i > stalledAt && r.repo === repo);
    expect(nextAsk).toBeGreaterThan(stalledAt);
    for (const img of images.filter((i) => i !== victim)) {
      const other = mirrored(img).split(":")[0]!;
      const put = p.requests.findIndex((r) => r.kind === "manifest-put" && r.repo === other);
      expect(put, other).toBeGreaterThan(stalledAt);
      expect(put, other).toBeLessThan(nextAsk);
    }
  }, TIMEOUT);

  it("a permanent 403 on one target repository fails that task fast with a specific message; the others finish", async () => {
    const t = await target();
    const victim = images.find((i) => i.repo === "team/app")!;
    const repo = mirrored(victim).split(":")[0]!;
    const p = await proxy(t, [{ repo, fault: { kind: "status", status: 403, code: "DENIED", message: "requested access to the resource is denied" } }]);
    const out = await mirror({ work: work.dir, targetHost: p.host, sources: [{ host: source.host }], lines: lines(source.host) });
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^done: 5 copied, 0 skipped, 1 failed/m);
    await expectAllMirrored(t, images.filter((i) => i !== victim));
    const task = out.result?.tasks.find((x) => x.source.endsWith("team/app:2.0"));
    expect(task?.status).toBe("failed");
    expect(task?.error).toBe(`access denied to ${p.host}/${mirrored(victim)} on ${p.host} (check TARGET_USER/TARGET_PASSWORD)`);
    expect(task?.error).not.toMatch(/authentication failed/);
    // Fast: a denial is not retried over and over.
    expect(p.events.length).toBeLessThanOrEqual(4);
  }, TIMEOUT);

  for (const copier of ["native", "skopeo"] as const) {
    it(`a login the target lets read but refuses to write gets the credentials hint (${copier} copier)`, async () => {
      // A pull-only robot account: every HEAD passes, every upload answers 401.
      const t = await target();
      const p = await proxy(t, [{ kinds: ["upload-post"], fault: { kind: "status", status: 401, code: "UNAUTHORIZED", message: "authentication required" } }]);
      const victim = images.find((i) => i.repo === "team/app")!;
      const out = await mirror({ work: work.dir, targetHost: p.host, sources: [{ host: source.host }], lines: [`${source.host}/${victim.repo}:${victim.tag}`], args: ["--copier", copier] });
      expect(out.code).toBe(1);
      expect(out.result?.tasks.map((x) => x.error)).toEqual([`authentication failed for ${p.host} (check TARGET_USER/TARGET_PASSWORD)`]);
    }, TIMEOUT);
  }

  it("a permanent 401 on one source repository fails that task fast with a specific message; the others finish", async () => {
    const t = await target();
    const victim = images.find((i) => i.repo === "library/redis")!;
    // The source is configured with credentials, so a 401 there means they were refused.
    const p = await proxy(source, [{ repo: victim.repo, fault: { kind: "status", status: 401, code: "UNAUTHORIZED", message: "authentication required" } }]);
    const credentials = { usernameEnv: "SOURCE_USER", passwordEnv: "SOURCE_PASSWORD" };
    const env = { SOURCE_USER: "puller", SOURCE_PASSWORD: "s0urce-pw-Value" };
    const out = await mirror({ work: work.dir, targetHost: t.host, sources: [{ host: p.host, credentials }], lines: lines(p.host), env });
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^done: 5 copied, 0 skipped, 1 failed/m);
    await expectAllMirrored(t, images.filter((i) => i !== victim));
    const task = out.result?.tasks.find((x) => x.source.endsWith("library/redis:7"));
    expect(task?.status).toBe("failed");
    expect(task?.error).toBe(`authentication failed for ${p.host} (check SOURCE_USER/SOURCE_PASSWORD)`);
    expect(out.stdout + out.stderr).not.toContain(env.SOURCE_PASSWORD);
    expect(p.events.length).toBeLessThanOrEqual(4);
  }, TIMEOUT);

  it("tags named 37.404.0 and 37.401.0 behind a transient 503 are retried and copied", async () => {
    const t = await target();
    const nginx = images.find((i) => i.repo === "library/nginx")!;
    const busybox = images.find((i) => i.repo === "library/busybox")!;
    // The same manifests under version tags that look like HTTP statuses.
    for (const [img, tag] of [[nginx, "37.404.0"], [busybox, "37.401.0"]] as const) {
      const reference = `${source.url}/v2/${img.repo}/manifests/${img.tag}`;
      const got = await fetch(reference, { headers: { accept: img.mediaType } });
      const put = await fetch(`${source.url}/v2/${img.repo}/manifests/${tag}`, { method: "PUT", headers: { "content-type": img.mediaType }, body: new Uint8Array(await got.arrayBuffer()) });
      expect(put.status).toBe(201);
    }
    // The one PUT of each tag answers 503 once: a status that is transient whatever the tag says.
    const p = await proxy(t, [{ kinds: ["manifest-put"], where: (r) => /37\.40[14]\.0/.test(r.url), times: 2, fault: status503 }]);
    const tagged = [`${source.host}/library/nginx:37.404.0`, `${source.host}/library/busybox:37.401.0`];
    const out = await mirror({ work: work.dir, targetHost: p.host, sources: [{ host: source.host }], lines: tagged });
    expect(out.code).toBe(0);
    expect(p.count("status")).toBe(2);
    expect(await digestAt(t, "mirror/library_nginx:37.404.0")).toBe(nginx.digest);
    expect(await digestAt(t, "mirror/library_busybox:37.401.0")).toBe(busybox.digest);
    expect(out.stdout).not.toMatch(/authentication failed|not found/);
  }, TIMEOUT);

  it("reports in result.json the bytes the target stored", async () => {
    const t = await target();
    const out = await mirror({ work: work.dir, targetHost: t.host, sources: [{ host: source.host }], lines: lines(source.host) });
    expect(out.code).toBe(0);
    const stored = uploadedBlobBytes(await t.settledAccessLog());
    expect(out.result?.summary.bytes).toBe(stored);
    expect(countByKind(await t.settledAccessLog()).uploadCompletions).toBe(new Set(images.flatMap((i) => i.blobs.map((b) => b.digest))).size);
  }, TIMEOUT);
});
