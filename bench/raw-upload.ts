/**
 * The floor of a cold mirror, run by bench/floor.ts as its own process: what any mirror must
 * send to the target, with perfect knowledge and the fewest requests the distribution API
 * allows, and nothing else. Every blob the images need is read from the local OCI layout and
 * uploaded once (POST, then one PUT carrying the body), 8 at a time on kept-alive connections;
 * then each image gets the blobs it shares with another repository by a cross-repository
 * mount, and its manifests by PUT. No source reads, no HEADs, no digest is hashed locally.
 *
 * Usage: node dist/bench/raw-upload.js LAYOUT_DIR TARGET_HOST PLAN_JSON
 * PLAN_JSON: [{"repo": "mirror/library/nginx", "tag": "1.0", "digest": "sha256:…"}]
 * Credentials: BENCH_TARGET_USERNAME and BENCH_TARGET_PASSWORD.
 */
import { createReadStream, readFileSync, statSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { pool } from "./pool.js";

interface PlanEntry {
  repo: string;
  tag: string;
  digest: string;
}

interface Descriptor {
  mediaType: string;
  digest: string;
}

interface ImageWork {
  entry: PlanEntry;
  /** Config and layer digests of every platform. */
  blobs: string[];
  /** Platform manifests of an index (pushed by digest before it), then the top-level one. */
  manifests: Array<{ digest: string; mediaType: string; reference: string }>;
}

const [layoutDir, targetHost, planPath] = process.argv.slice(2);
if (!layoutDir || !targetHost || !planPath) {
  process.stderr.write("usage: raw-upload LAYOUT_DIR TARGET_HOST PLAN_JSON\n");
  process.exit(2);
}
const plan = JSON.parse(readFileSync(planPath, "utf8")) as PlanEntry[];
const username = process.env.BENCH_TARGET_USERNAME ?? "";
const password = process.env.BENCH_TARGET_PASSWORD ?? "";
const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
const [hostname, port] = targetHost.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

const blobPath = (digest: string) => join(layoutDir, "blobs", ...digest.split(":"));
const readJson = (digest: string) => JSON.parse(readFileSync(blobPath(digest), "utf8")) as { mediaType: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };

function request(method: string, path: string, body?: { path: string; size: number; type: string }): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { authorization, "content-length": body?.size ?? 0 };
    if (body) headers["content-type"] = body.type;
    const req = http.request({ hostname, port, method, path, agent, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res));
    });
    req.on("error", reject);
    if (body) createReadStream(body.path).on("error", reject).pipe(req);
    else req.end();
  });
}

async function expect(status: number, what: string, pending: Promise<http.IncomingMessage>): Promise<http.IncomingMessage> {
  const res = await pending;
  if (res.statusCode !== status) throw new Error(`${what}: HTTP ${res.statusCode}, expected ${status}`);
  return res;
}

function workFor(entry: PlanEntry): ImageWork {
  const top = readJson(entry.digest);
  const platforms = top.manifests ?? [{ mediaType: top.mediaType, digest: entry.digest }];
  const blobs = platforms.flatMap((p) => {
    const m = readJson(p.digest);
    return [m.config!, ...(m.layers ?? [])].map((d) => d.digest);
  });
  const children = top.manifests ? top.manifests.map((m) => ({ digest: m.digest, mediaType: m.mediaType, reference: m.digest })) : [];
  return { entry, blobs, manifests: [...children, { digest: entry.digest, mediaType: top.mediaType, reference: entry.tag }] };
}

const images = plan.map(workFor);
// Each blob goes once, into the first repository that needs it; the others mount it from there.
const home = new Map<string, string>();
for (const image of images) for (const blob of image.blobs) if (!home.has(blob)) home.set(blob, image.entry.repo);

await pool([...home], 8, async ([digest, repo]) => {
  const started = await expect(202, `POST upload ${repo}`, request("POST", `/v2/${repo}/blobs/uploads/`));
  const location = new URL(started.headers.location ?? "", `http://${targetHost}`);
  location.searchParams.set("digest", digest);
  const path = blobPath(digest);
  await expect(201, `PUT ${digest}`, request("PUT", location.pathname + location.search, { path, size: statSync(path).size, type: "application/octet-stream" }));
});

await pool(images, 8, async ({ entry, blobs, manifests }) => {
  for (const blob of new Set(blobs)) {
    const from = home.get(blob)!;
    if (from !== entry.repo) await expect(201, `mount ${blob} into ${entry.repo}`, request("POST", `/v2/${entry.repo}/blobs/uploads/?mount=${blob}&from=${from}`));
  }
  for (const m of manifests) {
    const path = blobPath(m.digest);
    await expect(201, `PUT manifest ${entry.repo}:${m.reference}`, request("PUT", `/v2/${entry.repo}/manifests/${m.reference}`, { path, size: statSync(path).size, type: m.mediaType }));
  }
});
agent.destroy();
