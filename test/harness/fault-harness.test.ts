/**
 * The fault harness itself: the fault proxy, the blob origin, the token server with
 * distribution's `auth.token`, and the Helm chart fixture, each against a real registry.
 */
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBlobOrigin, type BlobOrigin } from "./blob-origin.js";
import { classify, startFaultProxy, type FaultProxy } from "./fault-proxy.js";
import { helmChart, HELM_MEDIA_TYPES, pushArtifact } from "./oci-artifact.js";
import { MEDIA_TYPES, seedImages, type SeededImage } from "./oci-image.js";
import { startRegistry, type RunningRegistry } from "./registry.js";
import { startTokenServer, type TokenServer } from "./token-server.js";

const TIMEOUT = 60_000;
const ACCEPT = [MEDIA_TYPES.index, MEDIA_TYPES.manifest].join(", ");

let registry: RunningRegistry;
let image: SeededImage;
let proxy: FaultProxy | null = null;
let origin: BlobOrigin | null = null;

const layer = () => image.blobs.find((b) => b.size > 100_000)!;
const sha = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

beforeAll(async () => {
  registry = await startRegistry();
  [image] = (await seedImages(registry, [{ repo: "lib/app", tag: "1", platforms: [{ os: "linux", architecture: "amd64", layers: [{ seed: "fault-harness", size: 300_000 }] }] }])) as [SeededImage];
}, TIMEOUT);

afterAll(async () => {
  await proxy?.close();
  await origin?.close();
  await registry?.stop();
});

async function useProxy(...args: Parameters<typeof startFaultProxy>[1][]): Promise<FaultProxy> {
  await proxy?.close();
  proxy = await startFaultProxy(registry, args[0] ?? []);
  return proxy;
}

/** A blob GET through the proxy with node:http, so a mid-body reset shows as an error with the bytes read so far. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; error: string | null; headers: Record<string, unknown> }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const req = httpRequest(url, { headers }, (res) => {
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), error: null, headers: res.headers }));
      res.on("error", (err: NodeJS.ErrnoException) => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), error: err.code ?? err.message, headers: res.headers }));
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ status: 0, body: Buffer.concat(chunks), error: err.code ?? err.message, headers: {} }));
    req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

describe("classify", () => {
  it("names the distribution API request kinds", () => {
    expect(classify("HEAD", "/v2/a/b/manifests/1.0")).toEqual({ kind: "manifest-head", repo: "a/b", reference: "1.0" });
    expect(classify("GET", "/v2/a/blobs/sha256:00")).toEqual({ kind: "blob-get", repo: "a", reference: "sha256:00" });
    expect(classify("PUT", "/v2/a/blobs/uploads/u-1?_state=x&digest=sha256%3Aab")).toEqual({ kind: "upload-put", repo: "a", reference: "sha256:ab" });
    expect(classify("PATCH", "/v2/a/blobs/uploads/u-1?_state=x").kind).toBe("upload-patch");
    expect(classify("POST", "/v2/a/blobs/uploads/?mount=sha256:ab&from=b")).toEqual({ kind: "upload-post", repo: "a", reference: "sha256:ab" });
    expect(classify("GET", "/v2/a/tags/list").kind).toBe("tags");
  });
});

describe("startFaultProxy", () => {
  it("answers 503 with Retry-After to every 3rd matching request and forwards the rest", async () => {
    const p = await useProxy([{ kinds: ["manifest-head"], every: 3, fault: { kind: "status", status: 503, retryAfterSeconds: 2 } }]);
    const statuses: Array<[number, string | null]> = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${p.url}/v2/lib/app/manifests/1`, { method: "HEAD", headers: { accept: ACCEPT } });
      statuses.push([res.status, res.headers.get("retry-after")]);
    }
    expect(statuses).toEqual([[200, null], [200, null], [503, "2"], [200, null], [200, null], [503, "2"]]);
    const blob = await fetch(`${p.url}/v2/lib/app/blobs/${layer().digest}`, { method: "HEAD" });
    expect(blob.status).toBe(200);
    expect(p.count("status")).toBe(2);
    expect(p.events[0]).toMatchObject({ rule: 0, fault: "status", kind: "manifest-head", repo: "lib/app", reference: "1" });
  }, TIMEOUT);

  it("rewrites Location so a chunked upload keeps going through the proxy", async () => {
    const p = await useProxy();
    const data = Buffer.alloc(70_000, 7);
    const start = await fetch(`${p.url}/v2/lib/up/blobs/uploads/`, { method: "POST" });
    expect(start.status).toBe(202);
    const first = start.headers.get("location")!;
    expect(first.startsWith(`${p.url}/`)).toBe(true);
    const patch = await fetch(first, { method: "PATCH", headers: { "content-type": "application/octet-stream", "content-range": "0-69999" }, body: data });
    expect(patch.status).toBe(202);
    const next = new URL(patch.headers.get("location")!);
    expect(next.host).toBe(p.host);
    next.searchParams.set("digest", sha(data));
    const put = await fetch(next, { method: "PUT" });
    expect(put.status).toBe(201);
    expect(registry.blobSize(sha(data))).toBe(70_000);
    expect(p.requests.map((r) => r.kind)).toEqual(["upload-post", "upload-patch", "upload-put"]);
  }, TIMEOUT);

  it("resets a download after N body bytes, and the registry then serves the rest by Range", async () => {
    const p = await useProxy([{ kinds: ["blob-get"], times: 1, fault: { kind: "reset", afterBytes: 100_000 } }]);
    const url = `${p.url}/v2/lib/app/blobs/${layer().digest}`;
    const cut = await rawGet(url);
    expect(cut.status).toBe(200);
    expect(cut.error).not.toBeNull();
    expect(cut.body.length).toBe(100_000);
    const rest = await rawGet(url, { range: `bytes=100000-` });
    expect(rest.status).toBe(206);
    expect(sha(Buffer.concat([cut.body, rest.body]))).toBe(layer().digest);
    expect(p.count("reset")).toBe(1);
  }, TIMEOUT);

  it("resets an upload mid-body: the client sees the connection die and the registry stores nothing", async () => {
    const p = await useProxy([{ kinds: ["upload-put"], fault: { kind: "reset", afterBytes: 10_000 } }]);
    const data = Buffer.alloc(200_000, 9);
    const start = await fetch(`${p.url}/v2/lib/cut/blobs/uploads/`, { method: "POST" });
    const location = new URL(start.headers.get("location")!);
    location.searchParams.set("digest", sha(data));
    await expect(fetch(location, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: data })).rejects.toThrow();
    expect(registry.blobSize(sha(data))).toBeNull();
    expect(p.count("reset")).toBe(1);
  }, TIMEOUT);

  it("flips one byte of a blob body, keeping its length", async () => {
    const p = await useProxy([{ kinds: ["blob-get"], times: 1, fault: { kind: "corrupt" } }]);
    const url = `${p.url}/v2/lib/app/blobs/${layer().digest}`;
    const bad = await rawGet(url);
    expect(bad.body.length).toBe(layer().size);
    expect(sha(bad.body)).not.toBe(layer().digest);
    expect(sha((await rawGet(url)).body)).toBe(layer().digest);
  }, TIMEOUT);

  it("stalls before the headers and mid-body, then carries on; close() cancels a pending stall", async () => {
    const p = await useProxy([
      { kinds: ["manifest-head"], times: 1, fault: { kind: "stall", ms: 300 } },
      { kinds: ["blob-get"], times: 1, fault: { kind: "stall", ms: 300, afterBytes: 50_000 } },
    ]);
    const head = await fetch(`${p.url}/v2/lib/app/manifests/1`, { method: "HEAD", headers: { accept: ACCEPT } });
    expect(head.status).toBe(200);
    const blob = await rawGet(`${p.url}/v2/lib/app/blobs/${layer().digest}`);
    expect(sha(blob.body)).toBe(layer().digest);
    expect(p.count("stall")).toBe(2);

    p.setRules([{ kinds: ["manifest-head"], fault: { kind: "stall", ms: 600_000 } }]);
    const pending = fetch(`${p.url}/v2/lib/app/manifests/1`, { method: "HEAD", headers: { accept: ACCEPT } }).then(
      (r) => r.status,
      () => "closed",
    );
    for (let i = 0; i < 100 && p.count("stall") < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await p.close();
    expect(await pending).toBe("closed");
  }, TIMEOUT);

  it("redirects a blob GET to another origin that serves the same bytes, also by Range", async () => {
    origin = await startBlobOrigin();
    const p = await useProxy([{ kinds: ["blob-get"], fault: { kind: "redirect", origin } }]);
    const res = await fetch(`${p.url}/v2/lib/app/blobs/${layer().digest}`, { redirect: "manual" });
    expect(res.status).toBe(307);
    const location = res.headers.get("location")!;
    expect(location.startsWith(`${origin.url}/objects/`)).toBe(true);
    expect(sha(Buffer.from(await (await fetch(location)).arrayBuffer()))).toBe(layer().digest);
    const part = await fetch(location, { headers: { range: "bytes=10-19" } });
    expect([part.status, part.headers.get("content-range")]).toEqual([206, `bytes 10-19/${layer().size}`]);
    expect(origin.requests.map((r) => [r.method, r.headers.range ?? null])).toEqual([["GET", null], ["GET", "bytes=10-19"]]);
  }, TIMEOUT);
});

describe("startTokenServer with distribution's auth.token", () => {
  let tokens: TokenServer;
  let secured: RunningRegistry;
  const users = { mirror: "token-pass-Word9" };
  beforeAll(async () => {
    tokens = await startTokenServer({ users, anonymous: ["pull"] });
    secured = await startRegistry({ token: tokens.registryAuth });
  }, TIMEOUT);
  afterAll(async () => {
    await secured?.stop();
    await tokens?.close();
  });

  it("challenges with Bearer, issues tokens the registry accepts, and grants push only to known users", async () => {
    const challenge = await fetch(`${secured.url}/v2/`);
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get("www-authenticate")).toBe(`Bearer realm="${tokens.realm}",service="${tokens.registryAuth.service}"`);

    // skopeo goes through the whole flow: push needs a user's token.
    const [pushed] = await seedImages({ host: secured.host, auth: { username: "mirror", password: users.mirror } }, [
      { repo: "lib/secure", tag: "1", platforms: [{ os: "linux", architecture: "amd64", layers: [{ seed: "fault-harness-token", size: 20_000 }] }] },
    ]);
    expect(tokens.requests.some((r) => r.account === "mirror" && r.granted.includes("repository:lib/secure:pull,push"))).toBe(true);

    const anon = await (await fetch(`${tokens.realm}?service=${tokens.registryAuth.service}&scope=repository:lib/secure:pull,push`)).json() as { token: string };
    const head = await fetch(`${secured.url}/v2/lib/secure/manifests/1`, { method: "HEAD", headers: { accept: ACCEPT, authorization: `Bearer ${anon.token}` } });
    expect([head.status, head.headers.get("docker-content-digest")]).toEqual([200, pushed!.digest]);
    const upload = await fetch(`${secured.url}/v2/lib/secure/blobs/uploads/`, { method: "POST", headers: { authorization: `Bearer ${anon.token}` } });
    expect(upload.status).toBe(401);

    const wrong = await fetch(`${tokens.realm}?service=x`, { headers: { authorization: `Basic ${Buffer.from("mirror:nope").toString("base64")}` } });
    expect(wrong.status).toBe(401);
  }, TIMEOUT);
});

describe("helmChart", () => {
  it("pushes a Helm chart artifact that reads back byte for byte, with Helm's media types", async () => {
    const chart = helmChart("demo", "0.1.0");
    await pushArtifact(registry, "charts/demo", "0.1.0", chart);
    const res = await fetch(`${registry.url}/v2/charts/demo/manifests/0.1.0`, { headers: { accept: ACCEPT } });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get("docker-content-digest")).toBe(chart.digest);
    expect(body.equals(chart.manifest)).toBe(true);
    const parsed = JSON.parse(body.toString()) as { config: { mediaType: string }; layers: Array<{ mediaType: string }> };
    expect([parsed.config.mediaType, parsed.layers.map((l) => l.mediaType)]).toEqual([HELM_MEDIA_TYPES.config, [HELM_MEDIA_TYPES.chart]]);
    for (const b of chart.blobs) expect(registry.blobSize(b.digest)).toBe(b.size);
  }, TIMEOUT);
});
