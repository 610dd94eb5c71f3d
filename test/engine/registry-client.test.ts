import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiHost, MANIFEST_ACCEPT, parseChallenge, RegistryClient, RegistryError } from "../../src/engine/registry-client.js";
import { countByKind } from "../harness/access-log.js";
import { seedImages, type PlatformSpec, type SeededImage } from "../harness/oci-image.js";
import { startFaultProxy } from "../harness/fault-proxy.js";
import { freePort } from "../harness/ports.js";
import { startRegistry, type RunningRegistry } from "../harness/registry.js";

const TIMEOUT = 60_000;
const AUTH = { username: "robot", password: "s3cret-Target-pass" };
const WRONG = { username: "robot", password: "wrong-Pass-123" };
const base = { seed: "client-base", size: 40_000 };
const twoArch: PlatformSpec[] = [
  { os: "linux", architecture: "amd64", layers: [base, { seed: "client-amd64", size: 3000 }] },
  { os: "linux", architecture: "arm64", layers: [base, { seed: "client-arm64", size: 4000 }] },
];
const oneArch: PlatformSpec[] = [{ os: "linux", architecture: "amd64", layers: [{ seed: "client-alpine", size: 2000 }] }];

let source: RunningRegistry | undefined;
let target: RunningRegistry | undefined;
let nginx: SeededImage;
let alpine: SeededImage;
let onTarget: SeededImage;

function registries(): { source: RunningRegistry; target: RunningRegistry } {
  if (!source || !target) throw new Error("registries did not start");
  return { source, target };
}

async function caught(p: Promise<unknown>): Promise<RegistryError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof RegistryError)) throw new Error(`expected a RegistryError, got ${String(err)}`);
  return err;
}

beforeAll(async () => {
  // One after the other, so a failed start leaves nothing unassigned for afterAll to miss.
  source = await startRegistry({});
  target = await startRegistry({ auth: AUTH });
  [[nginx, alpine], [onTarget]] = (await Promise.all([
    seedImages(source, [
      { repo: "library/nginx", tag: "1.26", platforms: twoArch },
      { repo: "library/alpine", tag: "3.20", platforms: oneArch },
    ]),
    seedImages(target, [{ repo: "mirror/nginx", tag: "1.26", platforms: twoArch }]),
  ])) as [[SeededImage, SeededImage], [SeededImage]];
}, TIMEOUT);

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

describe("headManifest", () => {
  it("returns the digest, media type and size of an OCI index and of an OCI manifest", async () => {
    const client = new RegistryClient({ registry: registries().source.host, tlsVerify: false });
    expect(await client.headManifest("library/nginx", "1.26")).toEqual({
      digest: nginx.digest,
      mediaType: "application/vnd.oci.image.index.v1+json",
      size: nginx.size,
    });
    expect(await client.headManifest("library/alpine", "3.20")).toEqual({
      digest: alpine.digest,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      size: alpine.size,
    });
    expect((await client.headManifest("library/nginx", nginx.digest))?.digest).toBe(nginx.digest);
  }, TIMEOUT);

  it("returns null for a missing tag and for a missing repository", async () => {
    const client = new RegistryClient({ registry: registries().source.host, tlsVerify: false });
    expect(await client.headManifest("library/nginx", "0.0-missing")).toBeNull();
    expect(await client.headManifest("nobody/nothing", "1")).toBeNull();
  }, TIMEOUT);

  it("needs the OCI types in Accept: without them distribution answers 404 for an OCI image", async () => {
    const { source } = registries();
    const dockerOnly = MANIFEST_ACCEPT.filter((t) => !t.startsWith("application/vnd.oci."));
    const res = await fetch(`${source.url}/v2/library/nginx/manifests/1.26`, { method: "HEAD", headers: { accept: dockerOnly.join(", ") } });
    // A client sending only Docker types would think the image is missing and copy it on every run.
    expect(res.status).toBe(404);
    const client = new RegistryClient({ registry: source.host, tlsVerify: false });
    expect((await client.headManifest("library/nginx", "1.26"))?.digest).toBe(nginx.digest);
  }, TIMEOUT);

  it("sends one ping to learn the auth scheme, then only authenticated HEADs", async () => {
    const { target } = registries();
    const client = new RegistryClient({ registry: target.host, tlsVerify: false, credentials: AUTH, userAgent: "mirrorbot-test" });
    const before = target.accessLog().length;
    for (let i = 0; i < 20; i++) expect((await client.headManifest("mirror/nginx", "1.26"))?.digest).toBe(onTarget.digest);
    expect(client.stats).toMatchObject({ requests: 21, ping: 1, manifestHead: 20, manifestGet: 0, authRetries: 0 });
    const log = (await target.settledAccessLog()).slice(before);
    expect(countByKind(log)).toMatchObject({ manifestHead: 20, unauthorized: 1, total: 21 });
    expect(log.every((e) => e.userAgent === "mirrorbot-test")).toBe(true);
  }, TIMEOUT);
});

describe("authentication with htpasswd (basic)", () => {
  it("reads the target with the right password", async () => {
    const client = new RegistryClient({ registry: registries().target.host, tlsVerify: false, credentials: AUTH });
    expect((await client.headManifest("mirror/nginx", "1.26"))?.digest).toBe(onTarget.digest);
  }, TIMEOUT);

  it("fails with a permanent 401 RegistryError that does not contain the password", async () => {
    const { target } = registries();
    const client = new RegistryClient({ registry: target.host, tlsVerify: false, credentials: WRONG });
    const err = await caught(client.headManifest("mirror/nginx", "1.26"));
    expect(err.message).toBe(`authentication failed for ${target.host}: 401 UNAUTHORIZED`);
    expect(err).toMatchObject({ status: 401, code: "UNAUTHORIZED", transient: false, registry: target.host });
    for (const text of [err.message, String(err.stack), JSON.stringify(err)]) expect(text).not.toContain(WRONG.password);
    expect(client.stats.authRetries).toBe(0);
  }, TIMEOUT);

  it("fails with 401 without credentials", async () => {
    const { target } = registries();
    const client = new RegistryClient({ registry: target.host, tlsVerify: false });
    const err = await caught(client.headBlob("mirror/nginx", onTarget.blobs[0]?.digest ?? ""));
    expect(err).toMatchObject({ status: 401, transient: false, message: `authentication failed for ${target.host}: 401 UNAUTHORIZED` });
  }, TIMEOUT);
});

describe("getManifest", () => {
  it("returns the bytes, their digest and the parsed index", async () => {
    const client = new RegistryClient({ registry: registries().source.host, tlsVerify: false });
    const doc = await client.getManifest("library/nginx", "1.26");
    expect(doc.digest).toBe(nginx.digest);
    expect(doc.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(doc.body.length).toBe(nginx.size);
    expect((doc.json as { manifests: Array<{ digest: string }> }).manifests.map((m) => m.digest)).toEqual(nginx.manifests.map((m) => m.digest));
  }, TIMEOUT);

  it("throws a permanent RegistryError with the distribution code for a missing tag", async () => {
    const { source } = registries();
    const client = new RegistryClient({ registry: source.host, tlsVerify: false });
    const err = await caught(client.getManifest("library/nginx", "0.0-missing"));
    expect(err).toMatchObject({ status: 404, code: "MANIFEST_UNKNOWN", transient: false });
    expect(err.message).toBe(`GET /v2/library/nginx/manifests/0.0-missing failed at ${source.host}: 404 MANIFEST_UNKNOWN: manifest unknown`);
  }, TIMEOUT);
});

describe("blobs", () => {
  it("headBlob tells whether a repository has a blob", async () => {
    const client = new RegistryClient({ registry: registries().target.host, tlsVerify: false, credentials: AUTH });
    const layer = onTarget.manifests[0]?.layers[0]?.digest ?? "";
    expect(await client.headBlob("mirror/nginx", layer)).toBe(true);
    expect(await client.headBlob("mirror/nginx", `sha256:${"0".repeat(64)}`)).toBe(false);
    expect(client.stats.blobHead).toBe(2);
  }, TIMEOUT);

  it("hasTags tells a repository holding images from one the registry does not know", async () => {
    const client = new RegistryClient({ registry: registries().target.host, tlsVerify: false, credentials: AUTH });
    expect(await client.hasTags("mirror/nginx")).toBe(true);
    expect(await client.hasTags("mirror/never-pushed")).toBe(false);
    expect(client.stats.tagList).toBe(2);
  }, TIMEOUT);

  it("mountBlob mounts a blob from another repository of the same registry", async () => {
    const { target } = registries();
    const client = new RegistryClient({ registry: target.host, tlsVerify: false, credentials: AUTH });
    const layer = onTarget.manifests[1]?.layers[1]?.digest ?? "";
    const before = target.accessLog().length;
    expect(await client.headBlob("other/nginx", layer)).toBe(false);
    expect(await client.mountBlob("other/nginx", layer, "mirror/nginx")).toBe(true);
    expect(await client.headBlob("other/nginx", layer)).toBe(true);
    const log = (await target.settledAccessLog()).slice(before);
    expect(countByKind(log)).toMatchObject({ mounts: 1, mountMisses: 0, uploadCompletions: 0 });
  }, TIMEOUT);

  it("mountBlob returns false and cancels the upload the registry opened when the blob is not there", async () => {
    const { target } = registries();
    const client = new RegistryClient({ registry: target.host, tlsVerify: false, credentials: AUTH });
    const before = target.accessLog().length;
    expect(await client.mountBlob("other/nginx", `sha256:${"1".repeat(64)}`, "mirror/nginx")).toBe(false);
    const log = (await target.settledAccessLog()).slice(before);
    expect(countByKind(log)).toMatchObject({ mounts: 0, mountMisses: 1 });
    expect(log.filter((e) => e.method === "DELETE").map((e) => e.status)).toEqual([204]);
  }, TIMEOUT);
});

describe("openUploadFor", () => {
  it("says present, with one request and no session, when the repository holds the blob already", async () => {
    const { target } = registries();
    const client = new RegistryClient({ registry: target.host, tlsVerify: false, credentials: AUTH });
    const layer = onTarget.manifests[0]?.layers[1]?.digest ?? "";
    const before = target.accessLog().length;
    expect(await client.openUploadFor("mirror/nginx", layer)).toBe("present");
    const log = (await target.settledAccessLog()).slice(before);
    // Besides the client's first contact (GET /v2/, which learns the auth scheme): one POST.
    expect(log.filter((e) => e.path !== "/v2/").map((e) => [e.method, e.path, e.query, e.status])).toEqual([["POST", "/v2/mirror/nginx/blobs/uploads/", { mount: layer, from: "mirror/nginx" }, 201]]);
  }, TIMEOUT);

  it("opens the session the blob is then uploaded with when the repository does not hold it", async () => {
    const { target } = registries();
    const client = new RegistryClient({ registry: target.host, tlsVerify: false, credentials: AUTH });
    const bytes = Buffer.from("a blob only this test uploads");
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const before = target.accessLog().length;
    const location = await client.openUploadFor("fresh/app", digest);
    expect(location).toMatch(new RegExp(`^${target.url}/v2/fresh/app/blobs/uploads/`));
    await client.putUpload("fresh/app", location, digest, bytes.length, Readable.from([bytes]), 10_000);
    expect(await client.headBlob("fresh/app", digest)).toBe(true);
    const log = (await target.settledAccessLog()).slice(before);
    expect(countByKind(log)).toMatchObject({ mountMisses: 1, uploadCompletions: 1 });
    expect(log.filter((e) => e.method === "POST")).toHaveLength(1);
  }, TIMEOUT);

  it("throws an error of the upload itself (here 404 NAME_UNKNOWN) and keeps asking afterwards", async () => {
    const { target } = registries();
    const proxy = await startFaultProxy(target, [{ kinds: ["upload-post"], times: 1, fault: { kind: "status", status: 404, code: "NAME_UNKNOWN", message: "repository name not known to registry" } }]);
    try {
      const client = new RegistryClient({ registry: proxy.host, tlsVerify: false, credentials: AUTH });
      const layer = onTarget.manifests[0]?.layers[1]?.digest ?? "";
      await expect(client.openUploadFor("mirror/nginx", layer)).rejects.toMatchObject({ status: 404, code: "NAME_UNKNOWN" });
      expect(await client.openUploadFor("mirror/nginx", layer)).toBe("present");
      expect(proxy.requests.filter((r) => r.kind === "upload-post").map((r) => r.url.includes("mount="))).toEqual([true, true]);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);

  it("asks plainly from then on when a registry refuses the mount question", async () => {
    const { target } = registries();
    // A registry that does not take mount parameters: 400 to any POST that carries one.
    const proxy = await startFaultProxy(target, [{ kinds: ["upload-post"], where: (r) => r.url.includes("mount="), fault: { kind: "status", status: 400, code: "UNSUPPORTED" } }]);
    try {
      const client = new RegistryClient({ registry: proxy.host, tlsVerify: false, credentials: AUTH });
      const layer = onTarget.manifests[0]?.layers[1]?.digest ?? "";
      expect(await client.openUploadFor("mirror/nginx", layer)).toMatch(/\/v2\/mirror\/nginx\/blobs\/uploads\//);
      expect(await client.openUploadFor("mirror/nginx", layer)).toMatch(/\/v2\/mirror\/nginx\/blobs\/uploads\//);
      const posts = proxy.requests.filter((r) => r.kind === "upload-post").map((r) => r.url.includes("mount="));
      expect(posts).toEqual([true, false, false]);
    } finally {
      await proxy.close();
    }
  }, TIMEOUT);
});

describe("network errors", () => {
  it("a refused connection is a transient RegistryError without a status", async () => {
    const port = await freePort();
    const client = new RegistryClient({ registry: `127.0.0.1:${port}`, tlsVerify: false });
    const err = await caught(client.headManifest("library/nginx", "1.26"));
    expect(err).toMatchObject({ status: null, code: "ECONNREFUSED", transient: true, message: `cannot reach 127.0.0.1:${port}: ECONNREFUSED` });
  }, TIMEOUT);

  it("a 503 is transient", async () => {
    const server = await listen((req, res) => {
      res.writeHead(req.url === "/v2/" ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: "try later" }] }));
    });
    try {
      const client = new RegistryClient({ registry: server.host, tlsVerify: false });
      const err = await caught(client.headBlob("a/b", `sha256:${"2".repeat(64)}`));
      expect(err).toMatchObject({ status: 503, transient: true });
    } finally {
      await server.close();
    }
  }, TIMEOUT);
});

interface FakeServer {
  host: string;
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: import("node:http").ServerResponse) => void): Promise<FakeServer> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe("bearer tokens", () => {
  // distribution's token auth needs a separate token server; a fake speaking the same protocol
  // checks what the client sends.
  const digest = `sha256:${"3".repeat(64)}`;
  let fake: FakeServer;
  let tokenRequests: Array<{ scopes: string[]; service: string | null; authorization: string | undefined }>;
  let rejectNextToken = false;
  let issued = 0;
  const granted = new Map<string, string[]>();

  beforeAll(async () => {
    tokenRequests = [];
    fake = await listen((req, res) => {
      const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
      const challenge = `Bearer realm="http://${req.headers.host}/token",service="fake-registry"`;
      if (url.pathname === "/token") {
        const scopes = url.searchParams.getAll("scope");
        tokenRequests.push({ scopes, service: url.searchParams.get("service"), authorization: req.headers.authorization });
        if (req.headers.authorization !== `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString("base64")}`) {
          res.writeHead(401, { "content-type": "application/json" });
          res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
          return;
        }
        const token = `tok-${++issued}`;
        granted.set(token, scopes);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ token, expires_in: 300 }));
        return;
      }
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      const scopes = granted.get(token);
      const need =
        req.method === "POST"
          ? ["repository:dst/app:pull,push", `repository:${url.searchParams.get("from")}:pull`]
          : [`repository:${url.pathname.split("/").slice(2, 4).join("/")}:pull`];
      let ok = url.pathname !== "/v2/" && scopes !== undefined && need.every((s) => scopes.includes(s));
      if (ok && rejectNextToken) {
        // As if the token had expired early or been revoked.
        rejectNextToken = false;
        granted.delete(token);
        ok = false;
      }
      if (!ok) {
        res.writeHead(401, { "www-authenticate": challenge, "content-type": "application/json" });
        res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
        return;
      }
      if (req.method === "POST") {
        res.writeHead(201, { location: `/v2/dst/app/blobs/${digest}` });
        res.end();
        return;
      }
      res.writeHead(200, { "docker-content-digest": digest, "content-type": "application/vnd.oci.image.index.v1+json", "content-length": "123" });
      res.end();
    });
  });

  afterAll(async () => {
    await fake?.close();
  });

  it("fetches a token per scope with basic credentials, caches it, and sends it", async () => {
    tokenRequests.length = 0;
    const client = new RegistryClient({ registry: fake.host, tlsVerify: false, credentials: AUTH });
    expect(await client.headManifest("src/app", "1")).toEqual({ digest, mediaType: "application/vnd.oci.image.index.v1+json", size: 123 });
    expect(await client.headManifest("src/app", "2")).not.toBeNull();
    expect(tokenRequests).toEqual([
      { scopes: ["repository:src/app:pull"], service: "fake-registry", authorization: `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString("base64")}` },
    ]);
    expect(client.stats).toMatchObject({ ping: 1, token: 1, manifestHead: 2, authRetries: 0 });
  }, TIMEOUT);

  it("asks for push on the target and pull on the source repository to mount", async () => {
    tokenRequests.length = 0;
    const client = new RegistryClient({ registry: fake.host, tlsVerify: false, credentials: AUTH });
    expect(await client.mountBlob("dst/app", digest, "src/app")).toBe(true);
    expect(tokenRequests.map((t) => t.scopes)).toEqual([["repository:dst/app:pull,push", "repository:src/app:pull"]]);
  }, TIMEOUT);

  it("fetches a fresh token once when the registry rejects the cached one", async () => {
    const client = new RegistryClient({ registry: fake.host, tlsVerify: false, credentials: AUTH });
    await client.headManifest("src/app", "1");
    rejectNextToken = true;
    expect(await client.headManifest("src/app", "1")).not.toBeNull();
    expect(client.stats).toMatchObject({ token: 2, manifestHead: 3, authRetries: 1 });
  }, TIMEOUT);

  it("reports bad credentials at the token service as a 401 without the password", async () => {
    const client = new RegistryClient({ registry: fake.host, tlsVerify: false, credentials: WRONG });
    const err = await caught(client.headManifest("src/app", "1"));
    expect(err.message).toBe(`authentication failed for ${fake.host}: 401 UNAUTHORIZED`);
    expect(err).toMatchObject({ status: 401, transient: false });
    expect(`${err.message} ${err.stack} ${JSON.stringify(err)}`).not.toContain(WRONG.password);
  }, TIMEOUT);
});

describe("parsing", () => {
  it("parses basic and bearer challenges", () => {
    expect(parseChallenge('Basic realm="mirrorbot-test"')).toEqual({ scheme: "basic" });
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual({
      scheme: "bearer",
      realm: "https://auth.docker.io/token",
      service: "registry.docker.io",
      scope: "repository:library/nginx:pull",
    });
    expect(parseChallenge(null)).toBeNull();
  });

  it("maps docker.io to the Docker Hub API host", () => {
    expect(apiHost("docker.io")).toBe("registry-1.docker.io");
    expect(apiHost("ghcr.io")).toBe("ghcr.io");
    expect(new RegistryClient({ registry: "docker.io" }).baseUrl).toBe("https://registry-1.docker.io");
    expect(new RegistryClient({ registry: "127.0.0.1:5000", tlsVerify: false }).baseUrl).toBe("http://127.0.0.1:5000");
  });
});
