/**
 * The native copier end to end: real distribution registries on 127.0.0.1, the fault proxy
 * of the harness between the engine and them, and the registries' access logs as the witness
 * of what crossed. Each case checks digests at both ends and bytes from the target's log.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/cli/sync.js";
import { parseResult, type SyncResult } from "../../src/engine/result.js";
import { countByKind, uploadedBlobBytes, uploadedBlobs } from "../harness/access-log.js";
import { startBlobOrigin } from "../harness/blob-origin.js";
import { type FaultRule, startFaultProxy } from "../harness/fault-proxy.js";
import { helmChart, pushArtifact } from "../harness/oci-artifact.js";
import { type PlatformSpec, type SeededImage, seedImages, uniqueBlobBytes } from "../harness/oci-image.js";
import { type AccessLogEntry, type RunningRegistry, startRegistry } from "../harness/registry.js";
import { startTokenServer, type TokenServer } from "../harness/token-server.js";
import { localConfigYaml } from "../harness/mirror-config.js";

const TIMEOUT = 180_000;
const AUTH = { username: "mirror", password: "n4tive-Target-pass" };

const base = { seed: "native-base", size: 400_000 };
const amd64 = (...layers: Array<{ seed: string; size: number }>): PlatformSpec[] => [{ os: "linux", architecture: "amd64", layers: [base, ...layers] }];
const multiArch: PlatformSpec[] = [
  { os: "linux", architecture: "amd64", layers: [base, { seed: "native-multi-amd64", size: 60_000 }] },
  { os: "linux", architecture: "arm64", variant: "v8", layers: [{ seed: "native-base-arm64", size: 250_000 }, { seed: "native-multi-arm64", size: 50_000 }] },
];

let source: RunningRegistry;
let target: RunningRegistry;
let work: string;
let images: SeededImage[];
let counter = 0;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  targetLog: AccessLogEntry[];
  result: SyncResult;
}

/** Run `mirrorbot sync` in-process against `targetHost` / `sourceHost` (proxies or the registries). */
async function sync(
  lines: string[],
  opts: { targetHost?: string; sourceHost?: string; args?: string[]; registry?: RunningRegistry; sourceAuth?: boolean } = {},
): Promise<Outcome> {
  const registry = opts.registry ?? target;
  const n = ++counter;
  const sourceEntry = { host: opts.sourceHost ?? source.host, ...(opts.sourceAuth ? { credentials: { usernameEnv: "TARGET_USER", passwordEnv: "TARGET_PASSWORD" } } : {}) };
  await writeFile(join(work, `config-${n}.yml`), localConfigYaml({ targetHost: opts.targetHost ?? registry.host, sources: [sourceEntry] }));
  await writeFile(join(work, `images-${n}.txt`), `${lines.join("\n")}\n`);
  const before = (await registry.settledAccessLog()).length;
  let stdout = "";
  let stderr = "";
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: work };
  const code = await run([`images-${n}.txt`, "--config", `config-${n}.yml`, "--result", `result-${n}.json`, "--concurrency", "4", ...(opts.args ?? [])], io, {
    PATH: process.env.PATH ?? "",
    HOME: work,
    TARGET_USER: AUTH.username,
    TARGET_PASSWORD: AUTH.password,
  });
  const targetLog = (await registry.settledAccessLog()).slice(before);
  const result = parseResult(JSON.parse(await readFile(join(work, `result-${n}.json`), "utf8")));
  return { code, stdout, stderr, targetLog, result };
}

async function digestAt(registry: RunningRegistry, repoTag: string, auth: boolean = registry === target): Promise<string | null> {
  const [repo, tag] = repoTag.split(":") as [string, string];
  const headers: Record<string, string> = {
    accept: "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
  };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString("base64")}`;
  const res = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, { method: "HEAD", headers });
  return res.status === 200 ? res.headers.get("docker-content-digest") : null;
}

/** Seed fresh images under a unique prefix, so each case starts with a target that has none of them. */
async function seed(prefix: string, specs: Array<{ name: string; tag?: string; platforms: PlatformSpec[] }>): Promise<SeededImage[]> {
  return seedImages(
    source,
    specs.map((s) => ({ repo: `${prefix}/${s.name}`, tag: s.tag ?? "1", platforms: s.platforms, labels: { prefix } })),
  );
}

const line = (img: SeededImage) => `${source.host}/${img.repo}:${img.tag}`;
const mirrored = (img: SeededImage) => `mirror/${img.repo.replaceAll("/", "_")}:${img.tag}`;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry(), startRegistry({ auth: AUTH })]);
  work = await mkdtemp(join(tmpdir(), "mirrorbot-native-"));
}, TIMEOUT);

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the native copier", () => {
  it("copies a multi-arch index and a Helm chart digest-exact, each unique blob uploaded once across images, bytes as the registry counted them", async () => {
    images = await seed("plain", [
      { name: "multi", platforms: multiArch },
      { name: "one", platforms: amd64({ seed: "native-one", size: 70_000 }) },
      { name: "two", platforms: amd64({ seed: "native-two", size: 80_000 }) },
    ]);
    const chart = helmChart("mychart", "0.1.0");
    await pushArtifact(source, "charts/mychart", "0.1.0", chart);
    const out = await sync([...images.map(line), `${source.host}/charts/mychart:0.1.0`]);
    expect(out.code).toBe(0);
    for (const img of images) expect(await digestAt(target, mirrored(img))).toBe(img.digest);
    expect(await digestAt(target, "mirror/charts_mychart:0.1.0")).toBe(chart.digest);
    const chartBytes = chart.blobs.reduce((n, b) => n + b.size, 0);
    expect(uploadedBlobBytes(out.targetLog)).toBe(uniqueBlobBytes(images) + chartBytes);
    const digests = uploadedBlobs(out.targetLog).map((b) => b.digest);
    expect(new Set(digests).size).toBe(digests.length);
    expect(out.result.summary.bytes).toBe(uploadedBlobBytes(out.targetLog));
    // The native path shells out to nothing: every request to the target is mirrorbot's own.
    expect(out.targetLog.filter((e) => e.userAgent !== "mirrorbot")).toEqual([]);
  }, TIMEOUT);

  it("resumes a download broken mid-blob with a Range GET, and uploads each blob once", async () => {
    const [img] = await seed("reset-get", [{ name: "app", platforms: amd64({ seed: "native-reset-get", size: 300_000 }) }]);
    // The two largest blobs (the shared base and the app's layer) break once each, at byte 100000.
    const large = new Set([...img!.blobs].sort((a, b) => b.size - a.size).slice(0, 2).map((b) => b.digest));
    const proxy = await startFaultProxy(source, [{ kinds: ["blob-get"], where: (r) => large.has(r.reference ?? "") && !r.headers.range, times: 2, fault: { kind: "reset", afterBytes: 100_000 } }]);
    try {
      const out = await sync([`${proxy.host}/${img!.repo}:1`], { sourceHost: proxy.host });
      expect(out.code).toBe(0);
      expect(proxy.count("reset")).toBe(2);
      expect(await digestAt(target, mirrored(img!))).toBe(img!.digest);
      // Each broken read went on from the byte where it broke.
      expect(proxy.requests.filter((r) => r.kind === "blob-get" && r.headers.range).map((r) => r.headers.range)).toEqual(["bytes=100000-", "bytes=100000-"]);
      expect(uploadedBlobs(out.targetLog).map((b) => b.digest).sort()).toEqual(img!.blobs.map((b) => b.digest).sort());
      expect(out.stderr).toMatch(/^resuming download: blob=sha256:[0-9a-f]{64} offset=100000 /m);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it("never commits corrupted bytes from the source: the blob is retried and lands intact", async () => {
    const [img] = await seed("corrupt", [{ name: "app", platforms: amd64({ seed: "native-corrupt", size: 200_000 }) }]);
    const big = img!.blobs.reduce((a, b) => (b.size > a.size ? b : a));
    const proxy = await startFaultProxy(source, [{ kinds: ["blob-get"], where: (r) => r.reference === big.digest, times: 1, fault: { kind: "corrupt" } }]);
    try {
      const out = await sync([`${proxy.host}/${img!.repo}:1`], { sourceHost: proxy.host });
      expect(out.code).toBe(0);
      expect(proxy.count("corrupt")).toBe(1);
      expect(out.stderr).toMatch(new RegExp(`^retrying blob: blob=${big.digest} attempt=1 .*DIGEST_INVALID|^retrying blob: blob=${big.digest} attempt=1 .*not uploaded`, "m"));
      expect(await digestAt(target, mirrored(img!))).toBe(img!.digest);
      // One completed upload per blob: the corrupt attempt never completed.
      expect(uploadedBlobs(out.targetLog).map((b) => b.digest).sort()).toEqual(img!.blobs.map((b) => b.digest).sort());
      expect(target.blobSize(big.digest)).toBe(big.size);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it("restarts an upload reset mid-body at the target; the other blobs are not sent again", async () => {
    const [img] = await seed("reset-put", [{ name: "app", platforms: amd64({ seed: "native-reset-put", size: 300_000 }) }]);
    const big = img!.blobs.reduce((a, b) => (b.size > a.size ? b : a));
    const proxy = await startFaultProxy(target, [{ kinds: ["upload-put"], where: (r) => r.reference === big.digest, times: 1, fault: { kind: "reset", afterBytes: 50_000 } }]);
    try {
      const out = await sync([line(img!)], { targetHost: proxy.host });
      expect(out.code).toBe(0);
      expect(proxy.count("reset")).toBe(1);
      expect(await digestAt(target, mirrored(img!))).toBe(img!.digest);
      expect(uploadedBlobs(out.targetLog).map((b) => b.digest).sort()).toEqual(img!.blobs.map((b) => b.digest).sort());
      const puts = proxy.requests.filter((r) => r.kind === "upload-put").map((r) => r.reference);
      expect(puts.filter((d) => d === big.digest)).toHaveLength(2);
      expect(puts).toHaveLength(img!.blobs.length + 1);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it("cuts a stalled blob GET with the stall clock and retries it, while the other image finishes first", async () => {
    const [slow, quick] = await seed("stall", [
      { name: "slow", platforms: amd64({ seed: "native-stall-slow", size: 200_000 }) },
      { name: "quick", platforms: amd64({ seed: "native-stall-quick", size: 50_000 }) },
    ]);
    const layer = slow!.manifests[0]!.layers[1]!;
    const proxy = await startFaultProxy(source, [{ kinds: ["blob-get"], where: (r) => r.reference === layer.digest, times: 1, fault: { kind: "stall", ms: 150_000, afterBytes: 10_000 } }]);
    try {
      const out = await sync([`${proxy.host}/${slow!.repo}:1`, `${proxy.host}/${quick!.repo}:1`], { sourceHost: proxy.host, args: ["--stall-timeout", "10"] });
      expect(out.code).toBe(0);
      expect(proxy.count("stall")).toBe(1);
      expect(out.stderr).toMatch(new RegExp(`^resuming download: blob=${layer.digest} offset=10000 .*STALLED|^resuming download: blob=${layer.digest} offset=10000 .*no bytes`, "m"));
      const order = out.stdout.split("\n").filter((l) => l.includes(" copied "));
      expect(order[0]).toContain(quick!.repo);
      expect(order[1]).toContain(slow!.repo);
      expect(await digestAt(target, mirrored(slow!))).toBe(slow!.digest);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it("fails a permanently denied repository fast with a specific message; the others finish", async () => {
    const [denied, fine] = await seed("denied", [
      { name: "secret", platforms: amd64({ seed: "native-denied", size: 30_000 }) },
      { name: "fine", platforms: amd64({ seed: "native-fine", size: 30_000 }) },
    ]);
    const proxy = await startFaultProxy(target, [{ repo: "mirror/denied_secret", kinds: ["upload-post", "upload-put", "manifest-put"], fault: { kind: "status", status: 403, code: "DENIED", message: "requested access to the resource is denied" } }]);
    try {
      const out = await sync([line(denied!), line(fine!)], { targetHost: proxy.host });
      expect(out.code).toBe(1);
      expect(out.stdout).toContain(`failed   ${line(denied!)} -> ${proxy.host}/mirror/denied_secret:1: access denied to ${proxy.host}/mirror/denied_secret:1 on ${proxy.host} (check TARGET_USER/TARGET_PASSWORD)`);
      expect(out.stderr).not.toMatch(/retrying/);
      // Each upload opened at most once per blob (with the question whether the repository
      // holds the blob already: a mount from itself): a denial is not retried. A mount from
      // the other image's repository (a config both share) is not an upload.
      const opened = proxy.requests.filter((r) => r.repo === "mirror/denied_secret" && r.kind === "upload-post" && (!r.url.includes("mount=") || r.url.includes("from=mirror%2Fdenied_secret")));
      expect(opened.length).toBeGreaterThan(0);
      expect(opened.length).toBeLessThanOrEqual(denied!.blobs.length);
      expect(await digestAt(target, mirrored(fine!))).toBe(fine!.digest);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it("retries a tag named 37.404.0 behind a transient 503 and copies it", async () => {
    const [img] = await seed("numbers", [{ name: "app", tag: "37.404.0", platforms: amd64({ seed: "native-37404", size: 20_000 }) }]);
    const proxy = await startFaultProxy(target, [{ kinds: ["manifest-head", "manifest-put"], times: 2, fault: { kind: "status", status: 503 } }]);
    try {
      const out = await sync([line(img!)], { targetHost: proxy.host });
      expect(out.code).toBe(0);
      expect(proxy.count("status")).toBe(2);
      expect(await digestAt(target, "mirror/numbers_app:37.404.0")).toBe(img!.digest);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it("copies everything through a target answering 503 to every 3rd request", async () => {
    const seeded = await seed("every3", [
      { name: "a", platforms: amd64({ seed: "native-e3-a", size: 40_000 }) },
      { name: "b", platforms: multiArch },
      { name: "c", platforms: amd64({ seed: "native-e3-c", size: 40_000 }) },
    ]);
    const proxy = await startFaultProxy(target, [{ every: 3, fault: { kind: "status", status: 503 } }]);
    try {
      const out = await sync(seeded.map(line), { targetHost: proxy.host, args: ["--retries", "5"] });
      expect(out.code).toBe(0);
      expect(proxy.count("status")).toBeGreaterThan(3);
      for (const img of seeded) expect(await digestAt(target, mirrored(img))).toBe(img.digest);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it("keeps the blobs a failed copy uploaded: they count in its bytes and no other copy uploads them again", async () => {
    const [first, second] = await seed("kept", [
      { name: "first", platforms: amd64({ seed: "native-kept-shared", size: 120_000 }) },
      { name: "second", platforms: amd64({ seed: "native-kept-shared", size: 120_000 }, { seed: "native-kept-own", size: 10_000 }) },
    ]);
    const proxy = await startFaultProxy(target, [{ repo: "mirror/kept_first", kinds: ["manifest-put"], fault: { kind: "status", status: 400, code: "MANIFEST_INVALID", message: "refused" } }]);
    try {
      const out = await sync([line(first!), line(second!)], { targetHost: proxy.host });
      expect(out.code).toBe(1);
      expect(out.result.tasks.map((t) => t.status)).toEqual(["failed", "copied"]);
      const digests = uploadedBlobs(out.targetLog).map((b) => b.digest);
      expect(digests.sort()).toEqual([...new Set([...first!.blobs, ...second!.blobs].map((b) => b.digest))].sort());
      // Bytes per task are what each really uploaded, the failed one included.
      expect(out.result.tasks.reduce((n, t) => n + t.bytes, 0)).toBe(uploadedBlobBytes(out.targetLog));
      expect(await digestAt(target, mirrored(second!))).toBe(second!.digest);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it("a copy retried after its manifest push failed sends none of its blobs again, and its bytes say what crossed", async () => {
    const [img] = await seed("again", [{ name: "app", platforms: amd64({ seed: "native-again", size: 90_000 }) }]);
    // --retries 1: the push request fails twice, which fails the copy's first attempt.
    const proxy = await startFaultProxy(target, [{ kinds: ["manifest-put"], times: 2, fault: { kind: "status", status: 503 } }]);
    try {
      const out = await sync([line(img!)], { targetHost: proxy.host, args: ["--retries", "1"] });
      expect(out.code).toBe(0);
      expect(out.stderr).toMatch(/^retrying copy: task=/m);
      expect(uploadedBlobs(out.targetLog).map((b) => b.digest).sort()).toEqual(img!.blobs.map((b) => b.digest).sort());
      expect(out.result.tasks[0]!.bytes).toBe(uniqueBlobBytes([img!]));
      expect(await digestAt(target, mirrored(img!))).toBe(img!.digest);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it("a selective sync on a fresh runner uploads only the new image's own layers", async () => {
    const seeded = await seed("selective", [
      { name: "old1", platforms: amd64({ seed: "native-sel-1", size: 30_000 }) },
      { name: "old2", platforms: amd64({ seed: "native-sel-2", size: 30_000 }) },
      { name: "new", platforms: amd64({ seed: "native-sel-new", size: 25_000 }) },
    ]);
    const all = seeded.map(line);
    const full = await sync(all.slice(0, 2));
    expect(full.code).toBe(0);
    const out = await sync(all, { args: ["--only", all[2]!] });
    expect(out.code).toBe(0);
    expect(await digestAt(target, mirrored(seeded[2]!))).toBe(seeded[2]!.digest);
    const known = new Set(seeded.slice(0, 2).flatMap((i) => i.blobs.map((b) => b.digest)));
    const own = seeded[2]!.blobs.filter((b) => !known.has(b.digest));
    expect(uploadedBlobBytes(out.targetLog)).toBe(own.reduce((n, b) => n + b.size, 0));
    expect(out.result.summary.bytes).toBe(uploadedBlobBytes(out.targetLog));
  }, TIMEOUT);
});

describe("the skopeo copier (copier: skopeo)", () => {
  it("retries a tag named 37.404.0 whose push met a transient 503, by asking the registries instead of reading skopeo's text", async () => {
    const [img] = await seed("skopeo-numbers", [{ name: "app", tag: "37.404.0", platforms: amd64({ seed: "skopeo-37404", size: 20_000 }) }]);
    const proxy = await startFaultProxy(target, [{ kinds: ["manifest-put"], times: 1, fault: { kind: "status", status: 503 } }]);
    try {
      const out = await sync([line(img!)], { targetHost: proxy.host, args: ["--copier", "skopeo"] });
      expect(out.code).toBe(0);
      expect(proxy.count("status")).toBe(1);
      expect(out.stderr).toMatch(/^retrying copy: .*skopeo copy failed \(exit 1\)/m);
      expect(await digestAt(target, "mirror/skopeo-numbers_app:37.404.0")).toBe(img!.digest);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it("fails a repository the target denies at once, with the specific message, and copies the others", async () => {
    const [denied, fine] = await seed("skopeo-denied", [
      { name: "secret", platforms: amd64({ seed: "skopeo-denied", size: 30_000 }) },
      { name: "fine", platforms: amd64({ seed: "skopeo-fine", size: 30_000 }) },
    ]);
    const proxy = await startFaultProxy(target, [{ repo: "mirror/skopeo-denied_secret", kinds: ["upload-post", "upload-put", "manifest-put"], fault: { kind: "status", status: 403, code: "DENIED" } }]);
    try {
      const out = await sync([line(denied!), line(fine!)], { targetHost: proxy.host, args: ["--copier", "skopeo"] });
      expect(out.code).toBe(1);
      expect(out.stdout).toContain(`failed   ${line(denied!)} -> ${proxy.host}/mirror/skopeo-denied_secret:1: access denied to ${proxy.host}/mirror/skopeo-denied_secret:1 on ${proxy.host} (check TARGET_USER/TARGET_PASSWORD)`);
      expect(out.stderr).not.toMatch(/retrying copy: task=\S+skopeo-denied_secret/);
      expect(await digestAt(target, mirrored(fine!))).toBe(fine!.digest);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);
});

describe("the native copier with bearer tokens", () => {
  let tokens: TokenServer;
  let tokenRegistry: RunningRegistry;

  beforeAll(async () => {
    tokens = await startTokenServer({ users: { [AUTH.username]: AUTH.password } });
    tokenRegistry = await startRegistry({ token: tokens.registryAuth });
  }, TIMEOUT);

  afterAll(async () => {
    await tokenRegistry?.stop();
    await tokens?.close();
  });

  it("pulls from and pushes to distribution with auth.token; a blob GET redirected to another origin carries no credentials", async () => {
    const [img] = await seedImages({ host: tokenRegistry.host, auth: AUTH }, [{ repo: "token/app", tag: "1", platforms: multiArch }]);
    const origin = await startBlobOrigin();
    const proxy = await startFaultProxy(tokenRegistry, [{ kinds: ["blob-get"], fault: { kind: "redirect", origin } }]);
    try {
      const out = await sync([`${proxy.host}/token/app:1`], { sourceHost: proxy.host, sourceAuth: true, registry: tokenRegistry });
      expect(out.stderr).toBe("");
      expect(out.code).toBe(0);
      expect(out.result.tasks[0]).toMatchObject({ status: "copied", targetDigest: img!.digest });
      expect(proxy.count("redirect")).toBe(img!.blobs.length);
      expect(origin.requests.length).toBe(img!.blobs.length);
      expect(origin.requests.filter((r) => r.headers.authorization !== undefined)).toEqual([]);
      expect(tokens.requests.length).toBeGreaterThan(0);
      expect(tokens.requests.filter((r) => r.account !== AUTH.username || r.status !== 200)).toEqual([]);
      expect(uploadedBlobBytes(out.targetLog)).toBe(uniqueBlobBytes([img!]));
    } finally {
      await proxy.close();
      await origin.close();
    }
  }, TIMEOUT);
});
