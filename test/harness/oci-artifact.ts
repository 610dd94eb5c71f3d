/**
 * OCI artifacts that are not container images, pushed straight through the distribution API
 * (skopeo converts or refuses unusual config media types; `helm push` is not installed here).
 * The Helm chart is what `helm push` writes: an OCI image manifest whose config has Helm's
 * media type and whose one layer is the chart's .tgz.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { MEDIA_TYPES, tarHeader, type Descriptor, type PushTarget } from "./oci-image.js";

export const HELM_MEDIA_TYPES = {
  config: "application/vnd.cncf.helm.config.v1+json",
  chart: "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
} as const;

/** A manifest and the blobs it references, ready to push. */
export interface Artifact {
  manifest: Buffer;
  mediaType: string;
  /** sha256 of `manifest`. */
  digest: string;
  blobs: Array<Descriptor & { data: Buffer }>;
}

function digestOf(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function blob(mediaType: string, data: Buffer): Descriptor & { data: Buffer } {
  return { mediaType, digest: digestOf(data), size: data.length, data };
}

function tarFile(name: string, text: string): Buffer {
  const body = Buffer.from(text);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([tarHeader(name, body.length), body, padding, Buffer.alloc(1024)]);
}

/** A Helm chart as `helm push` stores it: the chart .tgz as the layer, Chart.yaml's fields as the config. */
export function helmChart(name: string, version: string): Artifact {
  const chartYaml = `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: a chart for mirrorbot's tests\ntype: application\n`;
  const chart = blob(HELM_MEDIA_TYPES.chart, gzipSync(tarFile(`${name}/Chart.yaml`, chartYaml)));
  const config = blob(HELM_MEDIA_TYPES.config, Buffer.from(JSON.stringify({ name, version, apiVersion: "v2", description: "a chart for mirrorbot's tests", type: "application" })));
  const manifestJson = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: [{ mediaType: chart.mediaType, digest: chart.digest, size: chart.size, annotations: { "org.opencontainers.image.title": `${name}-${version}.tgz` } }],
    annotations: { "org.opencontainers.image.created": "2026-01-01T00:00:00Z" },
  };
  const manifest = Buffer.from(JSON.stringify(manifestJson));
  return { manifest, mediaType: MEDIA_TYPES.manifest, digest: digestOf(manifest), blobs: [config, chart] };
}

function authHeaders(registry: PushTarget): Record<string, string> {
  return registry.auth ? { authorization: `Basic ${Buffer.from(`${registry.auth.username}:${registry.auth.password}`).toString("base64")}` } : {};
}

async function ok(res: Response, what: string, statuses: number[]): Promise<Response> {
  if (!statuses.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

/** Push `artifact` as `repo:tag` (plain HTTP, basic auth or none): blobs monolithically, then the manifest. */
export async function pushArtifact(registry: PushTarget, repo: string, tag: string, artifact: Artifact): Promise<void> {
  const base = `http://${registry.host}`;
  const headers = authHeaders(registry);
  for (const b of artifact.blobs) {
    const start = await ok(await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST", headers, signal: AbortSignal.timeout(30_000) }), `start upload of ${b.digest}`, [202]);
    await start.arrayBuffer();
    const location = new URL(start.headers.get("location") ?? "", base);
    location.searchParams.set("digest", b.digest);
    const put = await fetch(location, {
      method: "PUT",
      headers: { ...headers, "content-type": "application/octet-stream" },
      body: new Uint8Array(b.data),
      signal: AbortSignal.timeout(30_000),
    });
    await (await ok(put, `upload of ${b.digest}`, [201])).arrayBuffer();
  }
  const put = await fetch(`${base}/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    headers: { ...headers, "content-type": artifact.mediaType },
    body: new Uint8Array(artifact.manifest),
    signal: AbortSignal.timeout(30_000),
  });
  await (await ok(put, `manifest ${repo}:${tag}`, [201])).arrayBuffer();
}
