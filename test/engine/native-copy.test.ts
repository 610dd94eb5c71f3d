/**
 * `mirrorbot sync` where registries differ from the plain htpasswd pair: bearer tokens from a
 * token server (distribution's `auth.token`), blob downloads redirected to another origin,
 * OCI artifacts that are not images, and a selective sync on a fresh runner.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { uploadedBlobBytes } from "../harness/access-log.js";
import { startBlobOrigin } from "../harness/blob-origin.js";
import { startFaultProxy } from "../harness/fault-proxy.js";
import { helmChart, HELM_MEDIA_TYPES, pushArtifact } from "../harness/oci-artifact.js";
import { MEDIA_TYPES, seedImages, type SeededImage } from "../harness/oci-image.js";
import { startRegistry, type RunningRegistry } from "../harness/registry.js";
import { startTokenServer, type TokenServer } from "../harness/token-server.js";
import { digestAt, faultImages, freshTarget, mirror, mirrored, workDir } from "./helpers/fault-world.js";

const TIMEOUT = 120_000;
const ACCEPT = [MEDIA_TYPES.index, MEDIA_TYPES.manifest].join(", ");

let work: { dir: string; dispose: () => Promise<void> };
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  work = await workDir();
});

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c().catch(() => undefined);
});

afterAll(async () => {
  await work?.dispose();
});

function later<T extends { close?: () => Promise<void>; stop?: () => Promise<void> }>(server: T): T {
  cleanups.unshift(() => (server.stop ?? server.close)!.call(server));
  return server;
}

/** HEAD `repo:tag` on a token registry with a token fetched for `user`. */
async function tokenDigest(tokens: TokenServer, reg: RunningRegistry, repo: string, tag: string, user: string, password: string): Promise<string | null> {
  const basic = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const grant = await fetch(`${tokens.realm}?service=${tokens.registryAuth.service}&scope=repository:${repo}:pull`, { headers: { authorization: basic } });
  const { token } = (await grant.json()) as { token: string };
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: "HEAD", headers: { accept: ACCEPT, authorization: `Bearer ${token}` } });
  return res.status === 200 ? res.headers.get("docker-content-digest") : null;
}

// Both copiers on the same cases: the native one (the default) and skopeo, per target.
describe.each([
  { copier: "native", targetYaml: [] },
  { copier: "skopeo", targetYaml: ["copier: skopeo"] },
])("mirrorbot sync with other registries, copier $copier", ({ copier, targetYaml }) => {
  it("copies between auth.token registries, and a blob download redirected to another origin never carries the credentials", async () => {
    const users = { puller: "pull-Secret-77", pusher: "push-Secret-88" };
    const tokens = later(await startTokenServer({ users }));
    const src = later(await startRegistry({ token: tokens.registryAuth }));
    const dst = later(await startRegistry({ token: tokens.registryAuth }));
    const specs = faultImages("token").filter((s) => ["library/nginx", "library/busybox", "team/app"].includes(s.repo));
    const images = await seedImages({ host: src.host, auth: { username: "pusher", password: users.pusher } }, specs);
    const origin = later(await startBlobOrigin());
    const cdn = later(await startFaultProxy(src, [{ kinds: ["blob-get"], fault: { kind: "redirect", origin } }]));
    tokens.requests.length = 0;

    const env = { SOURCE_USER: "puller", SOURCE_PASSWORD: users.puller, TARGET_USER: "pusher", TARGET_PASSWORD: users.pusher };
    const out = await mirror({
      work: work.dir,
      targetHost: dst.host,
      sources: [{ host: cdn.host, credentials: { usernameEnv: "SOURCE_USER", passwordEnv: "SOURCE_PASSWORD" } }],
      lines: images.map((i) => `${cdn.host}/${i.repo}:${i.tag}`),
      env,
      targetYaml,
    });
    expect(out.stdout).toMatch(/^done: 3 copied, 0 skipped, 0 failed/m);
    expect(out.code).toBe(0);
    for (const img of images) {
      const [repo, tag] = mirrored(img).split(":") as [string, string];
      expect(await tokenDigest(tokens, dst, repo, tag, "pusher", users.pusher), img.repo).toBe(img.digest);
    }
    // Both ends were reached with tokens for the configured accounts.
    expect(tokens.requests.filter((r) => r.status !== 200)).toEqual([]);
    expect(tokens.requests.some((r) => r.account === "puller" && r.granted.includes("repository:library/nginx:pull"))).toBe(true);
    expect(tokens.requests.some((r) => r.account === "pusher" && r.granted.some((g) => g.startsWith("repository:mirror/library_nginx:") && g.includes("push")))).toBe(true);
    // The configured copier fetched the blobs (skopeo names itself in its user agent).
    const agents = new Set(cdn.requests.filter((r) => r.kind === "blob-get").map((r) => (/skopeo/i.test(String(r.headers["user-agent"])) ? "skopeo" : "native")));
    expect([...agents]).toEqual([copier]);
    // Blob bytes came from the other origin, and nothing that authenticates went there.
    expect(cdn.count("redirect")).toBeGreaterThan(0);
    expect(origin.requests.length).toBeGreaterThanOrEqual(cdn.count("redirect"));
    for (const r of origin.requests) {
      expect(r.headers.authorization, r.url).toBeUndefined();
      expect(r.headers.cookie, r.url).toBeUndefined();
      expect(JSON.stringify(r.headers)).not.toMatch(/Bearer|Basic|pull-Secret|push-Secret/);
    }
  }, TIMEOUT);

  it("copies a Helm chart OCI artifact and a multi-arch index digest-exact, manifests byte for byte", async () => {
    const src = later(await startRegistry());
    const dst = later(await freshTarget());
    const chart = helmChart("podinfo", "6.5.4");
    await pushArtifact(src, "charts/podinfo", "6.5.4", chart);
    const [index] = await seedImages(src, faultImages("helm").filter((s) => s.repo === "library/nginx"));
    const out = await mirror({
      work: work.dir,
      targetHost: dst.host,
      sources: [{ host: src.host }],
      lines: [`${src.host}/charts/podinfo:6.5.4`, `${src.host}/library/nginx:1.26`],
      targetYaml,
    });
    expect(out.code).toBe(0);
    const read = async (reg: RunningRegistry, repo: string, tag: string) => {
      const auth: Record<string, string> = reg.auth ? { authorization: `Basic ${Buffer.from(`${reg.auth.username}:${reg.auth.password}`).toString("base64")}` } : {};
      const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { headers: { accept: ACCEPT, ...auth } });
      return { digest: res.headers.get("docker-content-digest"), type: res.headers.get("content-type"), body: Buffer.from(await res.arrayBuffer()) };
    };
    const chartCopy = await read(dst, "mirror/charts_podinfo", "6.5.4");
    expect(chartCopy.digest).toBe(chart.digest);
    expect(chartCopy.body.equals(chart.manifest)).toBe(true);
    expect(JSON.parse(chartCopy.body.toString()).config.mediaType).toBe(HELM_MEDIA_TYPES.config);
    for (const b of chart.blobs) expect(dst.blobSize(b.digest)).toBe(b.size);

    const indexCopy = await read(dst, "mirror/library_nginx", "1.26");
    const indexSource = await read(src, "library/nginx", "1.26");
    expect([indexCopy.digest, indexCopy.type]).toEqual([index!.digest, MEDIA_TYPES.index]);
    expect(indexCopy.body.equals(indexSource.body)).toBe(true);
    for (const m of index!.manifests) expect((await read(dst, "mirror/library_nginx", m.digest)).digest).toBe(m.digest);
  }, TIMEOUT);
});

describe("mirrorbot sync on a fresh runner", () => {

  it("a selective sync of one new image on a fresh runner uploads only its own layers", async () => {
    const src = later(await startRegistry());
    const dst = later(await freshTarget());
    const images = await seedImages(src, faultImages("selective"));
    const lines = images.map((i) => `${src.host}/${i.repo}:${i.tag}`);
    const first = await mirror({ work: work.dir, targetHost: dst.host, sources: [{ host: src.host }], lines });
    expect(first.code).toBe(0);

    // A new image on the shared base and runtime layers, then a run for it alone (the push
    // trigger's one new line), with no skopeo cache and no ledger from the first run.
    const [fresh] = await seedImages(src, [{ repo: "library/newapp", tag: "1", platforms: [{ os: "linux", architecture: "amd64", layers: [{ seed: "fault-base", size: 400_000 }, { seed: "fault-runtime", size: 300_000 }, { seed: "selective-newapp", size: 120_000 }] }] }]);
    const before = (await dst.settledAccessLog()).length;
    const newLine = `${src.host}/library/newapp:1`;
    const out = await mirror({ work: work.dir, targetHost: dst.host, sources: [{ host: src.host }], lines: [...lines, newLine], args: ["--only", newLine] });
    expect(out.code).toBe(0);
    expect(await digestAt(dst, "mirror/library_newapp:1")).toBe(fresh!.digest);
    const known = new Set(images.flatMap((i) => i.blobs.map((b) => b.digest)));
    const own = fresh!.blobs.filter((b) => !known.has(b.digest)).reduce((n, b) => n + b.size, 0);
    expect(uploadedBlobBytes((await dst.settledAccessLog()).slice(before))).toBe(own);
  }, TIMEOUT);
});
