/**
 * `mirrorbot sync` end to end: two real distribution registries on 127.0.0.1 (source without
 * auth, target with htpasswd), OCI images built here and pushed with skopeo, and the access
 * logs as the witness of what crossed the wire.
 */
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { chmod, rm, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { Readable } from "node:stream";
import { run } from "../../src/cli/sync.js";
import { RegistryClient } from "../../src/engine/registry-client.js";
import { parseResult } from "../../src/engine/result.js";
import { countByKind, countWrites, uploadedBlobBytes } from "../harness/access-log.js";
import { startForwardProxy } from "../harness/forward-proxy.js";
import { type PlatformSpec, type SeededImage, seedImages, uniqueBlobBytes } from "../harness/oci-image.js";
import { type AccessLogEntry, type RunningRegistry, startRegistry } from "../harness/registry.js";
import { localConfigYaml } from "../harness/mirror-config.js";

const TIMEOUT = 120_000;
const AUTH = { username: "mirror", password: "s3cret-target-Password" };
// skopeo's blob-info cache as root: removed so every run is as fresh as a GitHub runner.
const SKOPEO_CACHE = "/var/lib/containers/cache/blob-info-cache-v1.boltdb";

const base = { seed: "sync-base", size: 300_000 };
const runtime = { seed: "sync-runtime", size: 150_000 };
const amd64 = (...layers: Array<{ seed: string; size: number }>): PlatformSpec[] => [{ os: "linux", architecture: "amd64", layers: [base, ...layers] }];
const multiArch: PlatformSpec[] = [
  { os: "linux", architecture: "amd64", layers: [base, runtime, { seed: "sync-nginx-amd64", size: 40_000 }] },
  { os: "linux", architecture: "arm64", variant: "v8", layers: [{ seed: "sync-base-arm64", size: 200_000 }, { seed: "sync-nginx-arm64", size: 30_000 }] },
];

let source: RunningRegistry;
let target: RunningRegistry;
let work: string;
let images: SeededImage[];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  targetLog: AccessLogEntry[];
  sourceLog: AccessLogEntry[];
}

/** Run `mirrorbot sync` in-process and return its output plus the target requests it caused. */
async function sync(args: string[], env: Record<string, string> = {}, config = "mirrorbot.yml"): Promise<Outcome> {
  const before = (await target.settledAccessLog()).length;
  const sourceBefore = (await source.settledAccessLog()).length;
  let stdout = "";
  let stderr = "";
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: work };
  const code = await run(["--config", config, "--retries", "1", ...args], io, {
    PATH: process.env.PATH ?? "",
    HOME: work,
    TARGET_USER: AUTH.username,
    TARGET_PASSWORD: AUTH.password,
    ...env,
  });
  const targetLog = (await target.settledAccessLog()).slice(before);
  const sourceLog = (await source.settledAccessLog()).slice(sourceBefore);
  return { code, stdout, stderr, targetLog, sourceLog };
}

async function targetDigest(repoTag: string): Promise<string | null> {
  const [repo, tag] = repoTag.split(":") as [string, string];
  const res = await fetch(`${target.url}/v2/${repo}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      accept: "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
      authorization: `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString("base64")}`,
    },
  });
  return res.status === 200 ? res.headers.get("docker-content-digest") : null;
}

/**
 * An HTTP proxy in front of the target that answers 503 (or `answer`) to the first request
 * matching each rule, as a registry behind a flaky load balancer would, and forwards
 * everything else.
 */
async function flakyProxy(
  upstream: RunningRegistry,
  rules: Array<(req: IncomingMessage) => boolean>,
  answer: (req: IncomingMessage) => { status: number; body: string } = () => ({ status: 503, body: '{"errors":[{"code":"UNAVAILABLE","message":"service unavailable"}]}' }),
): Promise<{ host: string; failed: string[]; close: () => Promise<void> }> {
  const pending = [...rules];
  const failed: string[] = [];
  const [, port] = upstream.host.split(":");
  const server = createServer((req, res) => {
    const rule = pending.findIndex((r) => r(req));
    if (rule !== -1) {
      pending.splice(rule, 1);
      failed.push(`${req.method} ${req.url}`);
      req.resume();
      const { status, body } = answer(req);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body);
      return;
    }
    const up = httpRequest({ host: "127.0.0.1", port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: proxyPort } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${proxyPort}`,
    failed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A config with one http target (htpasswd credentials from TARGET_USER/TARGET_PASSWORD) and the http source. */
function writeConfig(file: string, name: string, targetHost: string, extra: string[] = [], sourceHost = source.host): Promise<void> {
  return writeFile(join(work, file), localConfigYaml({ name, targetHost, sources: [{ host: sourceHost }], extra: ["engine: { concurrency: 4, retries: 1 }", ...extra] }));
}

function writeImages(lines: string[]): Promise<void> {
  return writeFile(join(work, "images.txt"), `${lines.join("\n")}\n`);
}

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry(), startRegistry({ auth: AUTH })]);
  work = await mkdtemp(join(tmpdir(), "mirrorbot-sync-"));
  await writeConfig("mirrorbot.yml", "local", target.host);
  images = await seedImages(source, [
    { repo: "library/nginx", tag: "1.26", platforms: multiArch },
    { repo: "bitnami/nginx", tag: "1", platforms: amd64(runtime, { seed: "sync-bitnami", size: 50_000 }) },
    { repo: "library/redis", tag: "7", platforms: amd64(runtime, { seed: "sync-redis", size: 60_000 }) },
    { repo: "library/busybox", tag: "1", platforms: amd64({ seed: "sync-busybox", size: 20_000 }) },
    { repo: "team/app", tag: "2.0", platforms: amd64({ seed: "sync-app", size: 70_000 }) },
  ]);
}, TIMEOUT);

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

beforeEach(async () => {
  await rm(SKOPEO_CACHE, { force: true });
});

const lines = () => images.map((i) => `${source.host}/${i.repo}:${i.tag}`);
const mirrored = (img: SeededImage) => `mirror/${img.repo.replace("/", "_")}:${img.tag}`;

describe("mirrorbot sync", () => {
  it("copies every image in parallel, keeps digests, and uploads each unique blob exactly once", async () => {
    await writeImages(lines());
    const out = await sync(["--result", "result.json", "--concurrency", "4"]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    for (const img of images) expect(await targetDigest(mirrored(img))).toBe(img.digest);
    expect(uploadedBlobBytes(out.targetLog)).toBe(uniqueBlobBytes(images));
    expect(out.stdout).toMatch(/^\[1\/5\] copied {3}/m);
    expect(out.stdout).toMatch(/^done: 5 copied, 0 skipped, 0 failed/m);

    const result = parseResult(JSON.parse(await readFile(join(work, "result.json"), "utf8")));
    expect(result.summary).toMatchObject({ total: 5, copied: 5, skipped: 0, failed: 0 });
    expect(result.summary.bytes).toBe(uniqueBlobBytes(images));
    const nginx = result.tasks.find((t) => t.source === `${source.host}/library/nginx:1.26`)!;
    expect(nginx).toMatchObject({ line: 1, status: "copied", target: `${target.host}/mirror/library_nginx:1.26`, platform: null, sourceDigest: images[0]!.digest, targetDigest: images[0]!.digest, error: null });

    // Every request was mirrorbot's own, and no tag was listed: a full sync has no other
    // repositories to ask. Each blob took one request in each repository that needs it, and
    // no HEAD: a mount from a repository that has it, or, for its first upload, the POST that
    // opens the upload asking the repository itself (a killed earlier run may have left it
    // there untagged), which distribution answers 202 with the session.
    const ours = out.targetLog.filter((e) => e.userAgent === "mirrorbot");
    expect(ours).toHaveLength(out.targetLog.length);
    expect(ours.filter((e) => e.path.endsWith("/tags/list"))).toEqual([]);
    expect(ours.filter((e) => e.method === "HEAD" && e.path.includes("/blobs/"))).toEqual([]);
    const posts = ours.filter((e) => e.method === "POST").map((e) => `${e.path} ${e.query.mount ?? "no mount"}`).sort();
    expect(posts).toEqual(images.flatMap((img) => img.blobs.map((b) => `/v2/${mirrored(img).split(":")[0]}/blobs/uploads/ ${b.digest}`)).sort());
    const asked = ours.filter((e) => e.method === "POST" && e.path === `/v2/${e.query.from}/blobs/uploads/`);
    expect(asked.map((e) => e.status)).toEqual(asked.map(() => 202));
    expect(asked).toHaveLength(new Set(images.flatMap((img) => img.blobs.map((b) => b.digest))).size);
    // The target lacked every tag, so each source manifest was read once (GET) and never HEADed.
    const manifestReads = out.sourceLog.filter((e) => e.path.includes("/manifests/"));
    expect(manifestReads.filter((e) => e.method !== "GET")).toEqual([]);
    expect(manifestReads.map((e) => e.path).sort()).toEqual(images.flatMap((img) => [img.tag, ...img.manifests.filter((m) => m.digest !== img.digest).map((m) => m.digest)].map((ref) => `/v2/${img.repo}/manifests/${ref}`)).sort());
  }, TIMEOUT);

  it("skips everything on a second run and sends no write to the target", async () => {
    const out = await sync([]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^done: 0 copied, 5 skipped, 0 failed/m);
    expect(countWrites(out.targetLog)).toBe(0);
    const kinds = countByKind(out.targetLog);
    expect(kinds.manifestGet).toBe(0);
    expect(kinds.manifestPut).toBe(0);
  }, TIMEOUT);

  it("--dry-run reports and changes nothing", async () => {
    await writeImages([...lines(), `${source.host}/library/busybox:1 => tools/bb:1`]);
    const out = await sync(["--dry-run"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`would copy  ${source.host}/library/busybox:1 -> ${target.host}/mirror/tools_bb:1`);
    expect(out.stdout).toContain(`up to date  ${source.host}/library/redis:7 -> ${target.host}/mirror/library_redis:7`);
    expect(countWrites(out.targetLog)).toBe(0);
    expect(await targetDigest("mirror/tools_bb:1")).toBeNull();
  }, TIMEOUT);

  it("--force copies again", async () => {
    await writeImages(lines());
    const out = await sync(["--force", "--only", `${source.host}/library/redis:7`]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^done: 1 copied, 0 skipped, 0 failed/m);
    expect(countByKind(out.targetLog).manifestPut).toBeGreaterThan(0);
    expect(uploadedBlobBytes(out.targetLog)).toBe(0);
  }, TIMEOUT);

  it("copies one platform into the suffixed tag, with that platform's digest", async () => {
    await writeImages([`--platform=linux/arm64 ${source.host}/library/nginx:1.26`]);
    const out = await sync(["--result", "platform.json"]);
    expect(out.code).toBe(0);
    const arm64 = images[0]!.manifests.find((m) => m.platform.architecture === "arm64")!;
    expect(await targetDigest("mirror/library_nginx:1.26-linux-arm64")).toBe(arm64.digest);
    // The index tag is untouched and the arm64 blobs were already there: nothing uploaded,
    // and the result says so (the repository holds images, so its blobs were checked).
    expect(await targetDigest("mirror/library_nginx:1.26")).toBe(images[0]!.digest);
    expect(uploadedBlobBytes(out.targetLog)).toBe(0);
    const result = parseResult(JSON.parse(await readFile(join(work, "platform.json"), "utf8")));
    expect(result.tasks.map((t) => [t.status, t.bytes])).toEqual([["copied", 0]]);
  }, TIMEOUT);

  it("a no-op run of a --platform entry sends no manifest GET to the source (Docker Hub counts GETs as pulls)", async () => {
    await writeImages([`--platform=linux/arm64 ${source.host}/library/nginx:1.26`, `${source.host}/library/redis:7`]);
    expect((await sync([])).code).toBe(0); // copies, or finds it up to date; either way it reads the index once
    const before = (await source.settledAccessLog()).length;
    const out = await sync([]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^done: 0 copied, 2 skipped, 0 failed/m);
    const sourceLog = (await source.settledAccessLog()).slice(before);
    expect(countByKind(sourceLog)).toMatchObject({ manifestGet: 0, manifestHead: 2, blobGet: 0 });
    expect(countWrites(out.targetLog)).toBe(0);
  }, TIMEOUT);

  it("reports a missing source tag and still copies the others", async () => {
    await seedImages(source, [{ repo: "library/alpine", tag: "3", platforms: amd64({ seed: "sync-alpine", size: 10_000 }) }]);
    await writeImages([`${source.host}/library/nginx:9.99`, `${source.host}/library/alpine:3`, `--platform=linux/s390x ${source.host}/library/nginx:1.26`]);
    const out = await sync(["--result", "missing.json"]);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`failed   ${source.host}/library/nginx:9.99 -> ${target.host}/mirror/library_nginx:9.99: source not found: ${source.host}/library/nginx:9.99`);
    expect(out.stdout).toContain(`platform linux/s390x not found in ${source.host}/library/nginx:1.26 (available: linux/amd64, linux/arm64/v8)`);
    expect(out.stdout).toMatch(/^done: 1 copied, 0 skipped, 2 failed/m);
    expect(await targetDigest("mirror/library_alpine:3")).not.toBeNull();
    const result = parseResult(JSON.parse(await readFile(join(work, "missing.json"), "utf8")));
    expect(result.tasks.map((t) => [t.line, t.status])).toEqual([[1, "failed"], [2, "copied"], [3, "failed"]]);
  }, TIMEOUT);

  it("gives a clear auth error for a wrong target password, and never prints the password", async () => {
    const wrong = "Wr0ng-pa55word-xyz";
    await writeImages([`${source.host}/library/busybox:1`]);
    const out = await sync(["--result", "denied.json", "--force"], { TARGET_PASSWORD: wrong });
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`authentication failed for ${target.host} (check TARGET_USER/TARGET_PASSWORD)`);
    const file = await readFile(join(work, "denied.json"), "utf8");
    for (const text of [out.stdout, out.stderr, file]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(AUTH.password);
      expect(text).not.toContain(Buffer.from(`${AUTH.username}:${wrong}`).toString("base64"));
    }
  }, TIMEOUT);

  it("a missing credentials variable is a usage error, before anything runs", async () => {
    await writeImages([`${source.host}/library/busybox:1`]);
    const out = await sync([], { TARGET_PASSWORD: "" });
    expect(out.code).toBe(2);
    expect(out.stderr).toBe('mirrorbot sync: mirrorbot.yml: targets[0] "local": environment variable TARGET_PASSWORD (credentials.passwordEnv) is not set\n');
    expect(out.targetLog).toEqual([]);
  }, TIMEOUT);

  it("tells the configured webhooks when it stops before copying anything", async () => {
    const bodies: unknown[] = [];
    const hook = createServer((req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => (text += c.toString())).on("end", () => {
        bodies.push(JSON.parse(text));
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    try {
      await writeConfig("notify.yml", "local", target.host, ["notify:", "  - { type: webhook, urlEnv: HOOK, on: failure }"]);
      await writeImages([`${source.host}/library/busybox:1`]);
      const out = await sync([], { TARGET_PASSWORD: "", HOOK: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` }, "notify.yml");
      expect(out.code).toBe(2);
      expect(bodies).toEqual([
        { version: 1, request: null, stopped: 'notify.yml: targets[0] "local": environment variable TARGET_PASSWORD (credentials.passwordEnv) is not set', runUrl: null },
      ]);
    } finally {
      await new Promise((resolve) => hook.close(resolve));
    }
  }, TIMEOUT);

  it("an unusable proxy setting a registry of the run would use is a usage error, before anything runs", async () => {
    // A plain-HTTP source that is not on loopback would go through HTTP_PROXY.
    const proxied = `registry.mirrorbot.test:${source.host.split(":")[1]}`;
    await writeConfig("unusable-proxy.yml", "local", target.host, [], proxied);
    await writeImages([`${proxied}/library/busybox:1`]);
    vi.stubEnv("HTTP_PROXY", "socks5://user:proxy-secret@127.0.0.1:1080");
    try {
      const out = await sync([], {}, "unusable-proxy.yml");
      expect(out.code).toBe(2);
      expect(out.stderr).toBe("mirrorbot sync: HTTP_PROXY: mirrorbot's registry requests support http:// proxies, not socks5://\n");
      expect(out.targetLog).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  }, TIMEOUT);

  it("a new image whose layers the target holds in other repositories uploads only its new blobs", async () => {
    const [fresh] = await seedImages(source, [{ repo: "library/newapp", tag: "1", platforms: amd64(runtime, { seed: "sync-newapp", size: 80_000 }) }]);
    await writeImages([...lines(), `${source.host}/library/newapp:1`]);
    const out = await sync([]);
    expect(out.code).toBe(0);
    expect(await targetDigest("mirror/library_newapp:1")).toBe(fresh!.digest);
    const known = new Set(images.flatMap((i) => i.blobs.map((b) => b.digest)));
    const newBytes = fresh!.blobs.filter((b) => !known.has(b.digest)).reduce((n, b) => n + b.size, 0);
    expect(uploadedBlobBytes(out.targetLog)).toBe(newBytes);
    expect(countByKind(out.targetLog).mounts).toBe(2); // base and runtime
  }, TIMEOUT);

  it("finds a layer a killed run left untagged in the repository with the POST that would open its upload, and moves nothing for it", async () => {
    const [img] = await seedImages(source, [{ repo: "library/leftover", tag: "1", platforms: amd64({ seed: "sync-leftover", size: 60_000 }) }]);
    const repo = mirrored(img!).split(":")[0]!;
    const layer = img!.manifests[0]!.layers[1]!;
    // What a run killed after uploading this layer, before tagging, left in the target.
    const bytes = Buffer.from(await (await fetch(`${source.url}/v2/library/leftover/blobs/${layer.digest}`)).arrayBuffer());
    const client = new RegistryClient({ registry: target.host, tlsVerify: false, credentials: AUTH });
    await client.putUpload(repo, await client.startUpload(repo), layer.digest, bytes.length, Readable.from([bytes]), 10_000);
    await writeImages([`${source.host}/library/leftover:1`]);
    const out = await sync([]);
    expect(out.code).toBe(0);
    expect(await targetDigest(mirrored(img!))).toBe(img!.digest);
    // The repository answered the question "do you hold it?" with 201: no session, no bytes.
    const asked = out.targetLog.filter((e) => e.method === "POST" && e.query.mount === layer.digest);
    expect(asked.map((e) => [e.path, e.query.from, e.status])).toEqual([[`/v2/${repo}/blobs/uploads/`, repo, 201]]);
    expect(out.targetLog.filter((e) => e.upload?.digest === layer.digest)).toEqual([]);
    // Everything else is uploaded: this images.txt names no other repository to mount from.
    expect(uploadedBlobBytes(out.targetLog)).toBe(img!.blobs.filter((b) => b.digest !== layer.digest).reduce((n, b) => n + b.size, 0));
  }, TIMEOUT);

  it("never prints the credentials a registry echoes back when it fails a mount", async () => {
    const [fresh] = await seedImages(source, [{ repo: "library/echo", tag: "1", platforms: amd64(runtime, { seed: "sync-echo", size: 20_000 }) }]);
    // Some registries put request headers into error details; mirrorbot must scrub them.
    const echo = (req: IncomingMessage) => ({ status: 400, body: JSON.stringify({ errors: [{ code: "BLOB_UPLOAD_INVALID", message: `bad request; authorization=${req.headers.authorization}` }] }) });
    const isMount = (req: IncomingMessage) => req.method === "POST" && (req.url ?? "").includes("mount=");
    const proxy = await flakyProxy(target, [isMount, isMount], echo);
    try {
      await writeConfig("echo.yml", "local", proxy.host);
      // The mirrored images tell mirrorbot where the base and runtime layers already are.
      await writeImages([...lines(), `${source.host}/library/echo:1`]);
      const out = await sync([], {}, "echo.yml");
      expect(out.code).toBe(0);
      expect(proxy.failed).toHaveLength(2);
      expect(out.stderr).toMatch(/^mount failed: .*BLOB_UPLOAD_INVALID: bad request; authorization=Basic \*\*\*/m);
      expect(out.stderr).not.toMatch(/mount refused/);
      for (const secret of [AUTH.password, Buffer.from(`${AUTH.username}:${AUTH.password}`).toString("base64")]) expect(out.stdout + out.stderr).not.toContain(secret);
      expect(await targetDigest("mirror/library_echo:1")).toBe(fresh!.digest);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it("reports a copy as failed when the digest skopeo pushed is not the source's", async () => {
    // A skopeo that copies, then claims another digest: what a registry rewriting manifests
    // would look like. The engine must not call that a successful mirror.
    const fake = join(work, "lying-skopeo.mjs");
    await writeFile(
      fake,
      [
        "#!/usr/bin/env node",
        'import { spawnSync } from "node:child_process";',
        'import { writeFileSync } from "node:fs";',
        "const args = process.argv.slice(2);",
        'const r = spawnSync("skopeo", args, { stdio: "inherit" });',
        `writeFileSync(args[args.indexOf("--digestfile") + 1], "sha256:${"0".repeat(64)}");`,
        "process.exit(r.status ?? 1);",
      ].join("\n"),
    );
    await chmod(fake, 0o755);
    await writeImages(lines());
    process.env.MIRRORBOT_SKOPEO = fake;
    try {
      const out = await sync(["--copier", "skopeo", "--force", "--only", `${source.host}/library/redis:7`]);
      expect(out.code).toBe(1);
      expect(out.stdout).toContain(
        `failed   ${source.host}/library/redis:7 -> ${target.host}/mirror/library_redis:7: digest mismatch after copy: expected ${images[2]!.digest}, skopeo pushed sha256:${"0".repeat(64)}`,
      );
    } finally {
      delete process.env.MIRRORBOT_SKOPEO;
    }
  }, TIMEOUT);

  it("MIRRORBOT_IMAGES limits the run to the requested lines", async () => {
    await writeImages(lines());
    const out = await sync(["--result", "env.json"], { MIRRORBOT_IMAGES: `${source.host}/library/redis:7\n`, MIRRORBOT_REQUEST: "12-345" });
    expect(out.code).toBe(0);
    const result = parseResult(JSON.parse(await readFile(join(work, "env.json"), "utf8")));
    expect(result.request).toBe("12-345");
    expect(result.tasks.map((t) => [t.line, t.source, t.status])).toEqual([[3, `${source.host}/library/redis:7`, "skipped"]]);
  }, TIMEOUT);

  it("retries transient 503s from the target, on the digest check and on the manifest push, each request alone, and succeeds", async () => {
    const [img] = await seedImages(source, [{ repo: "library/flaky", tag: "1", platforms: amd64({ seed: "sync-flaky", size: 30_000 }) }]);
    const proxy = await flakyProxy(target, [
      (req) => req.method === "HEAD" && req.url === "/v2/mirror/library_flaky/manifests/1",
      (req) => req.method === "PUT" && (req.url ?? "").startsWith("/v2/mirror/library_flaky/manifests/"),
    ]);
    try {
      await writeConfig("flaky.yml", "flaky", proxy.host);
      await writeImages([`${source.host}/library/flaky:1`]);
      const out = await sync([], {}, "flaky.yml");
      expect(proxy.failed).toEqual(["HEAD /v2/mirror/library_flaky/manifests/1", expect.stringMatching(/^PUT \/v2\/mirror\/library_flaky\/manifests\//)]);
      expect(out.code).toBe(0);
      // Each failed request was sent again on its own; nothing else was redone.
      expect(out.stderr.trim().split("\n")).toEqual([
        expect.stringMatching(new RegExp(`^retrying request: registry=${proxy.host} status=503 code=- attempt=1 delayMs=\\d+$`)),
        expect.stringMatching(new RegExp(`^retrying request: registry=${proxy.host} status=503 code=UNAVAILABLE attempt=1 delayMs=\\d+$`)),
      ]);
      expect(countByKind(out.targetLog).uploadCompletions).toBe(img!.blobs.length);
      expect(await targetDigest("mirror/library_flaky:1")).toBe(img!.digest);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it.each(["native", "skopeo"])("reaches a source through HTTP(S)_PROXY: mirrorbot's own requests and skopeo's alike (%s copier)", async (copier) => {
    // The source is known only by a name that resolves nowhere; the proxy maps it to the
    // registry, so the copy works only if every request to it went through the proxy.
    const proxied = `registry.mirrorbot.test:${source.host.split(":")[1]}`;
    const credentials = { username: "proxy-user", password: "proxy-Pa55word" };
    const proxy = await startForwardProxy({ routes: { [proxied]: source.host }, credentials });
    try {
      await writeConfig("proxy.yml", "local", target.host, [], proxied);
      await writeImages([`${proxied}/team/app:2.0 => via-proxy-${copier}/app:2.0`]);
      vi.stubEnv("HTTP_PROXY", proxy.url);
      vi.stubEnv("HTTPS_PROXY", proxy.url);
      const out = await sync(["--result", "proxy.json", "--copier", copier], {}, "proxy.yml");
      expect(out.code).toBe(0);
      expect(await targetDigest(`mirror/via-proxy-${copier}_app:2.0`)).toBe(images[4]!.digest);

      const auth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
      expect(proxy.seen.filter((r) => r.proxyAuthorization !== auth)).toEqual([]);
      const mine = proxy.seen.filter((r) => r.userAgent === "mirrorbot").map((r) => `${r.method} ${r.target}`);
      // The native copier reads the manifest the target lacks while resolving; skopeo's path HEADs it.
      expect(mine).toContain(`${copier === "native" ? "GET" : "HEAD"} http://${proxied}/v2/team/app/manifests/2.0`);
      // Every blob was read through the proxy, by whichever copier moved it.
      const copiers = proxy.seen.filter((r) => (copier === "native") === (r.userAgent === "mirrorbot") && r.method === "GET" && r.target.includes("/blobs/"));
      expect(copiers.length).toBe(images[4]!.blobs.length);
      // The target is on loopback: neither client sends it through the proxy.
      expect(proxy.seen.filter((r) => r.target.includes(target.host))).toEqual([]);
      const report = await readFile(join(work, "proxy.json"), "utf8");
      for (const text of [out.stdout, out.stderr, report]) expect(text).not.toContain(credentials.password);
    } finally {
      vi.unstubAllEnvs();
      await proxy.close();
    }
  }, TIMEOUT);

  it.each([
    [["--only", "99"], true, "mirrorbot sync: --only cannot be combined with MIRRORBOT_IMAGES: that variable already names the entries to sync"],
    [["--concurrency", "1000"], false, 'mirrorbot sync: --concurrency takes a whole number from 1 to 64, got "1000"'],
    [["--retries", "500"], false, 'mirrorbot sync: --retries takes a whole number from 0 to 10, got "500"'],
  ])("refuses %j before anything runs", async (args, dispatched, message) => {
    await writeImages(lines());
    const out = await sync(args, dispatched ? { MIRRORBOT_IMAGES: `${source.host}/library/redis:7\n` } : {});
    expect(out.code).toBe(2);
    expect(out.stderr.split("\n")[0]).toBe(message);
    expect(out.targetLog).toEqual([]);
  }, TIMEOUT);

  it("applies the policy to the dispatched lines too", async () => {
    await writeConfig("policy.yml", "local", target.host, ["policy:", `  allow: ["${source.host}/library/*"]`]);
    await writeImages(lines());
    const out = await sync([], { MIRRORBOT_IMAGES: `${source.host}/team/app:2.0` }, "policy.yml");
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`MIRRORBOT_IMAGES:1:1: error: ${source.host}/team/app is not allowed by policy.allow`);
    expect(out.targetLog).toEqual([]);
  }, TIMEOUT);

  it("a mistake on another line does not block a selective sync, but blocks a full one", async () => {
    await writeImages([...lines(), "Not/A/Valid:Ref:At:All"]);
    const full = await sync([]);
    expect(full.code).toBe(2);
    expect(full.stderr).toMatch(/^images\.txt:6:\d+: error: /m);

    const selective = await sync(["--only", "3"]);
    expect(selective.code).toBe(0);
    expect(selective.stderr).toContain("mirrorbot sync: syncing only the selected entries; fix the errors above before the next full sync");
    expect(selective.stdout).toMatch(/^done: 0 copied, 1 skipped, 0 failed/m);

    const blocked = await sync(["--only", "6"]);
    expect(blocked.code).toBe(2);
  }, TIMEOUT);

  it("refuses two targets on one registry with different logins (skopeo keeps one per host)", async () => {
    await writeFile(
      join(work, "two.yml"),
      [
        "targets:",
        "  - name: one",
        `    registry: "${target.host}"`,
        "    namespace: one",
        "    tlsVerify: false",
        "    credentials: { usernameEnv: TARGET_USER, passwordEnv: TARGET_PASSWORD }",
        "  - name: two",
        `    registry: "${target.host}"`,
        "    namespace: two",
        "    tlsVerify: false",
        "    credentials: { usernameEnv: OTHER_USER, passwordEnv: OTHER_PASSWORD }",
        "",
      ].join("\n"),
    );
    await writeImages([`${source.host}/library/busybox:1`]);
    const out = await sync([], { OTHER_USER: "x", OTHER_PASSWORD: "y-password" }, "two.yml");
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(
      `mirrorbot sync: targets[1] "two": registry ${target.host} is already a target with credentials TARGET_USER/TARGET_PASSWORD; use one login per registry (e.g. one robot account for every project)\n`,
    );
  }, TIMEOUT);

  it("copies many tags of one index into one repository with the source digest for every tag", async () => {
    const tags = Array.from({ length: 10 }, (_, i) => `1.${i}`);
    const seeded = await seedImages(source, tags.map((tag) => ({ repo: "library/tags", tag, platforms: multiArch })));
    await writeImages(tags.map((tag) => `${source.host}/library/tags:${tag}`));
    const out = await sync(["--concurrency", "8"]);
    expect(out.code).toBe(0);
    for (const tag of tags) expect(await targetDigest(`mirror/library_tags:${tag}`)).toBe(seeded[0]!.digest);
  }, TIMEOUT);
});

