import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countByKind, countWrites, parseAccessLine, parseRoute, uploadedBlobBytes, uploadedBlobs } from "./access-log.js";
import { buildImage, MEDIA_TYPES, pushImage, uniqueBlobBytes, type BuiltImage, type PlatformSpec } from "./oci-image.js";
import { startRegistry, type RunningRegistry } from "./registry.js";

const TIMEOUT = 60_000;
const ACCEPT = [MEDIA_TYPES.index, MEDIA_TYPES.manifest].join(", ");
const AUTH = { username: "mirror", password: "hunter2-target-pw" };

const base = { seed: "harness-base", size: 96 * 1024 };
const single: PlatformSpec[] = [{ os: "linux", architecture: "amd64", layers: [base, { seed: "harness-single", size: 5000 }] }];
const multi: PlatformSpec[] = [
  { os: "linux", architecture: "amd64", layers: [base, { seed: "harness-multi-amd64", size: 20_000 }] },
  { os: "linux", architecture: "arm64", variant: "v8", layers: [base, { seed: "harness-multi-arm64", size: 30_000 }] },
];

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

async function headDigest(reg: RunningRegistry, repo: string, tag: string): Promise<string | null> {
  const headers: Record<string, string> = { accept: ACCEPT };
  if (reg.auth) headers.authorization = basic(reg.auth.username, reg.auth.password);
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: "HEAD", headers });
  return res.status === 200 ? res.headers.get("docker-content-digest") : null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("parseAccessLine", () => {
  it("reads method, path, query, status, size and user agent of a combined log line", () => {
    const line =
      '127.0.0.1 - - [22/Nov/2026:17:55:46 +0000] "PUT /v2/library/nginx/blobs/uploads/f1b8?_state=x&digest=sha256%3Aab HTTP/1.1" 201 0 "" "skopeo/1.9.3 \\"q\\""';
    expect(parseAccessLine(line)).toEqual({
      method: "PUT",
      path: "/v2/library/nginx/blobs/uploads/f1b8",
      query: { _state: "x", digest: "sha256:ab" },
      status: 201,
      bytesOut: 0,
      userAgent: 'skopeo/1.9.3 "q"',
    });
    expect(parseAccessLine('{"level":"info","msg":"listening on 127.0.0.1:5000"}')).toBeNull();
  });

  it("tells routes apart, with nested repository names", () => {
    expect(parseRoute("/v2/a/b/c/manifests/1.0")).toEqual({ kind: "manifest", repo: "a/b/c", reference: "1.0" });
    expect(parseRoute("/v2/a/b/blobs/sha256:00")).toEqual({ kind: "blob", repo: "a/b", digest: "sha256:00" });
    expect(parseRoute("/v2/a/b/blobs/uploads/")).toEqual({ kind: "upload", repo: "a/b", uuid: null });
    expect(parseRoute("/v2/a/blobs/uploads/123-abc")).toEqual({ kind: "upload", repo: "a", uuid: "123-abc" });
    expect(parseRoute("/v2/")).toEqual({ kind: "base" });
  });
});

describe("buildImage", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirrorbot-harness-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a valid gzipped tar layer holding a file of the requested size, the same bytes for the same seed", async () => {
    const size = 3 * 1024 * 1024 + 1;
    const platforms = (seed: string): PlatformSpec[] => [{ os: "linux", architecture: "amd64", layers: [{ seed, size }] }];
    const a = await buildImage({ dir: join(dir, "a"), tag: "t", platforms: platforms("s") });
    const b = await buildImage({ dir: join(dir, "b"), tag: "t", platforms: platforms("s") });
    const c = await buildImage({ dir: join(dir, "c"), tag: "t", platforms: platforms("other") });
    const layer = a.manifests[0]?.layers[0];
    expect(layer?.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
    expect(b.digest).toBe(a.digest);
    expect(c.manifests[0]?.layers[0]?.digest).not.toBe(layer?.digest);
    const file = join(dir, "a", "blobs", "sha256", (layer?.digest ?? "").slice(7));
    expect((await stat(file)).size).toBe(layer?.size);
    const listing = await execa("tar", ["-tzvf", file]);
    expect(listing.stdout).toMatch(new RegExp(`^-rw-r--r-- 0/0 +${size} 1970-01-01 00:00 data-[0-9a-f]{16}\\.bin$`));
    // The config lists the digest of the uncompressed tar: 512 header + padded data + 1024 end.
    const tar = await execa("gzip", ["-dc", file], { encoding: "buffer" });
    expect(tar.stdout.length).toBe(512 + Math.ceil(size / 512) * 512 + 1024);
    const config = JSON.parse(await readFile(join(dir, "a", "blobs", "sha256", (a.manifests[0]?.config.digest ?? "").slice(7)), "utf8"));
    expect(config.rootfs.diff_ids).toEqual([`sha256:${createHash("sha256").update(tar.stdout).digest("hex")}`]);
  });

  it("writes an OCI index with platforms for two platforms, and a tagged layout index", async () => {
    const image = await buildImage({ dir: join(dir, "m"), tag: "2.0", platforms: multi });
    expect(image.mediaType).toBe(MEDIA_TYPES.index);
    const index = JSON.parse(await readFile(join(dir, "m", "blobs", "sha256", image.digest.slice(7)), "utf8"));
    expect(index.manifests.map((m: { platform: unknown }) => m.platform)).toEqual([
      { architecture: "amd64", os: "linux" },
      { architecture: "arm64", os: "linux", variant: "v8" },
    ]);
    const layout = JSON.parse(await readFile(join(dir, "m", "index.json"), "utf8"));
    expect(layout.manifests).toEqual([
      { mediaType: MEDIA_TYPES.index, digest: image.digest, size: image.size, annotations: { "org.opencontainers.image.ref.name": "2.0" } },
    ]);
    // base is shared by both platforms: listed once.
    expect(image.blobs.filter((b) => b.digest === image.manifests[0]?.layers[0]?.digest)).toHaveLength(1);
    expect(image.blobs).toHaveLength(5);
  });
});

describe("registries", () => {
  let source: RunningRegistry | undefined;
  let target: RunningRegistry | undefined;
  let layout: string;
  let one: BuiltImage;
  let two: BuiltImage;

  beforeAll(async () => {
    // One after the other, so a failed start leaves nothing unassigned for afterAll to miss.
    source = await startRegistry({});
    target = await startRegistry({ auth: AUTH });
    layout = await mkdtemp(join(tmpdir(), "mirrorbot-harness-test-"));
    one = await buildImage({ dir: layout, tag: "single", platforms: single });
    two = await buildImage({ dir: layout, tag: "multi", platforms: multi });
  }, TIMEOUT);

  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (layout) await rm(layout, { recursive: true, force: true });
  });

  it("pushes with skopeo keeping the built digests, to an open and an authenticated registry", async () => {
    if (!source || !target) throw new Error("registries did not start");
    await pushImage(layout, "single", source, "library/app", { destTag: "1.0" });
    await pushImage(layout, "multi", source, "library/multi", { destTag: "2.0" });
    await pushImage(layout, "multi", target, "bitnami/multi", { destTag: "2.0" });
    expect(one.mediaType).toBe(MEDIA_TYPES.manifest);
    expect(two.mediaType).toBe(MEDIA_TYPES.index);
    expect(await headDigest(source, "library/app", "1.0")).toBe(one.digest);
    expect(await headDigest(source, "library/multi", "2.0")).toBe(two.digest);
    expect(await headDigest(target, "bitnami/multi", "2.0")).toBe(two.digest);
    for (const m of two.manifests) expect(await headDigest(target, "bitnami/multi", m.digest)).toBe(m.digest);
  }, TIMEOUT);

  it("logs each upload with the blob's size, so uploaded bytes can be summed", async () => {
    if (!target) throw new Error("registries did not start");
    const log = await target.settledAccessLog();
    const uploads = uploadedBlobs(log);
    // A fresh repository on a fresh registry: every blob of the image is uploaded exactly once.
    expect(uploads.map((u) => u.digest).sort()).toEqual(two.blobs.map((b) => b.digest).sort());
    for (const u of uploads) expect(u.size).toBe(two.blobs.find((b) => b.digest === u.digest)?.size);
    expect(uploadedBlobBytes(log)).toBe(uniqueBlobBytes([two]));
    const counts = countByKind(log);
    expect(counts.uploadCompletions).toBe(5);
    // Three manifests: two platform manifests and the index.
    expect(counts.manifestPut).toBe(3);
    expect(countWrites(log)).toBeGreaterThanOrEqual(counts.uploadCompletions + counts.manifestPut);
    expect(log.every((e) => !JSON.stringify(e).includes("mirrorbot-harness"))).toBe(true);
  }, TIMEOUT);

  it("counts the requests a client sends, once they are settled", async () => {
    if (!source) throw new Error("registries did not start");
    const before = source.accessLog().length;
    const res = await fetch(`${source.url}/v2/library/multi/manifests/2.0`, { method: "HEAD", headers: { accept: ACCEPT } });
    expect(res.status).toBe(200);
    const after = (await source.settledAccessLog()).slice(before);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ method: "HEAD", path: "/v2/library/multi/manifests/2.0", status: 200 });
    expect(countByKind(after)).toMatchObject({ manifestHead: 1, total: 1 });
  }, TIMEOUT);

  it("rejects a wrong password with 401 and accepts the right one", async () => {
    if (!target) throw new Error("registries did not start");
    const wrong = await fetch(`${target.url}/v2/`, { headers: { authorization: basic(AUTH.username, "not-the-password") } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toBe('Basic realm="mirrorbot-test"');
    const right = await fetch(`${target.url}/v2/`, { headers: { authorization: basic(AUTH.username, AUTH.password) } });
    expect(right.status).toBe(200);
    await expect(
      pushImage(layout, "single", target, "library/app", { auth: { username: AUTH.username, password: "not-the-password" } }),
    ).rejects.toThrow(/skopeo could not push .* to 127\.0\.0\.1:\d+\/library\/app: .*unauthorized/i);
  }, TIMEOUT);

  it("stop() kills the process and removes the directory", async () => {
    const reg = await startRegistry({});
    expect(pidAlive(reg.pid)).toBe(true);
    await reg.stop();
    expect(pidAlive(reg.pid)).toBe(false);
    await expect(stat(reg.dir)).rejects.toThrow(/ENOENT/);
    await reg.stop();
  }, TIMEOUT);
});
