/**
 * The benchmark's image sets, built without Docker into one OCI layout:
 *
 * - S20: 20 repositories (`library/*` and `bitnami/*` with the same ten names, so `skopeo sync`'s
 *   last-component naming would collide), tag "1.0". Every platform has the base layer of its
 *   architecture; even-numbered images add the shared runtime layer; each has its own layer.
 *   `library/nginx` (with runtime) and `library/redis` (without) are amd64 + arm64.
 *   Full sizes (20/10/5 MB) give 170 MB of unique blobs and 660 MB counted per image.
 * - S200: S20 plus tags 1.1 .. 1.9 per repository aliasing 1.0 (same manifest), for no-op runs.
 * - S23 (incremental): S20 where two images gained a layer, plus three new images on the old bases.
 * - BIG: `library/big:1.0`, one amd64 layer of 1 GB, streamed to disk by the harness.
 */
import { buildImage, pushImage, type BuiltImage, type PlatformSpec } from "../test/harness/oci-image.js";
import type { RunningRegistry } from "../test/harness/registry.js";
import { aliasTags } from "./distribution.js";
import type { LayerSizes } from "./options.js";
import { pool } from "./pool.js";

/** The path under the target registry every method mirrors into: TARGET/mirror/<source path>:<tag>. */
export const TARGET_NAMESPACE = "mirror";

const NAMESPACES = ["library", "bitnami"] as const;
const NAMES = ["nginx", "redis", "postgres", "mysql", "node", "python", "golang", "httpd", "memcached", "rabbitmq"] as const;
const MULTI_ARCH = new Set(["library/nginx", "library/redis"]);
const CHANGED = ["bitnami/nginx", "bitnami/redis"] as const;
const ADDED = ["library/traefik", "bitnami/traefik", "library/caddy"] as const;
const TAG = "1.0";

/** One image of a set: where it lives in the source, and what was built for it. */
export interface SetImage {
  repo: string;
  tag: string;
  /** The tag of the built image in the shared OCI layout. */
  layoutTag: string;
  /** Top-level digest (index or manifest). */
  digest: string;
  /** Layer and config blobs, digest -> size. */
  blobs: ReadonlyMap<string, number>;
  /** Blob bytes counted per image: every platform's layers and config, shared ones included. */
  countedBytes: number;
}

/** A set of images in the source, and the tags (aliases included) to mirror. */
export interface ImageSet {
  id: "S20" | "S200" | "S23" | "BIG";
  /** Images built and pushed, one per repository. */
  images: SetImage[];
  /** Every (repo, tag) to mirror, with the digest it must have in the target. */
  entries: Array<{ repo: string; tag: string; digest: string }>;
}

interface Spec {
  repo: string;
  layoutTag: string;
  platforms: PlatformSpec[];
}

function arches(repo: string): string[] {
  return MULTI_ARCH.has(repo) ? ["amd64", "arm64"] : ["amd64"];
}

function platformsOf(repo: string, runtime: boolean, sizes: LayerSizes, extraLayer: string | null): PlatformSpec[] {
  return arches(repo).map((architecture) => {
    const layers = [{ seed: `bench-base-${architecture}`, size: sizes.base }];
    if (runtime) layers.push({ seed: `bench-runtime-${architecture}`, size: sizes.runtime });
    layers.push({ seed: `bench-own-${repo}-${architecture}`, size: sizes.own });
    if (extraLayer !== null) layers.push({ seed: `${extraLayer}-${repo}-${architecture}`, size: sizes.own });
    return { os: "linux", architecture, layers };
  });
}

function s20Specs(sizes: LayerSizes): Spec[] {
  const repos = NAMESPACES.flatMap((ns) => NAMES.map((name) => `${ns}/${name}`));
  return repos.map((repo) => ({
    repo,
    layoutTag: `s20-${repo.replace("/", "-")}`,
    // Even-numbered within each namespace: 5 + 5 = 10 images with the runtime layer.
    platforms: platformsOf(repo, NAMES.indexOf(repo.split("/")[1] as (typeof NAMES)[number]) % 2 === 0, sizes, null),
  }));
}

function s23Specs(sizes: LayerSizes): Spec[] {
  const changed = new Set<string>(CHANGED);
  const kept = s20Specs(sizes).map((s) =>
    changed.has(s.repo)
      ? { ...s, layoutTag: `s23-${s.repo.replace("/", "-")}`, platforms: platformsOf(s.repo, s.platforms[0]!.layers.length > 2, sizes, "bench-update") }
      : s,
  );
  const added = ADDED.map((repo, i) => ({ repo, layoutTag: `s23-${repo.replace("/", "-")}`, platforms: platformsOf(repo, i === 0, sizes, null) }));
  return [...kept, ...added];
}

function bigSpecs(sizes: LayerSizes): Spec[] {
  return [{ repo: "library/big", layoutTag: "big", platforms: [{ os: "linux", architecture: "amd64", layers: [{ seed: "bench-big", size: sizes.big }] }] }];
}

function toSetImage(spec: Spec, built: BuiltImage): SetImage {
  const blobs = new Map<string, number>();
  let countedBytes = 0;
  for (const m of built.manifests) {
    for (const b of [...m.layers, m.config]) {
      blobs.set(b.digest, b.size);
      countedBytes += b.size;
    }
  }
  return { repo: spec.repo, tag: TAG, layoutTag: spec.layoutTag, digest: built.digest, blobs, countedBytes };
}

async function buildAll(layoutDir: string, specs: Spec[]): Promise<SetImage[]> {
  const images: SetImage[] = [];
  // Sequential: layers shared between images are written once and reused from the layout.
  for (const spec of specs) images.push(toSetImage(spec, await buildImage({ dir: layoutDir, tag: spec.layoutTag, platforms: spec.platforms })));
  return images;
}

/** Build a set into the shared layout (layers already there are reused). */
export async function buildSet(id: ImageSet["id"], layoutDir: string, sizes: LayerSizes, noopTagsPerRepo: number): Promise<ImageSet> {
  const specs = id === "S23" ? s23Specs(sizes) : id === "BIG" ? bigSpecs(sizes) : s20Specs(sizes);
  const images = await buildAll(layoutDir, specs);
  const tags = id === "S200" ? Array.from({ length: noopTagsPerRepo }, (_, i) => `1.${i}`) : [TAG];
  const entries = images.flatMap((img) => tags.map((tag) => ({ repo: img.repo, tag, digest: img.digest })));
  return { id, images, entries };
}

/**
 * Push a set's images from the layout to `registry` under `namespace` (e.g. "" for a source,
 * "mirror" for a pre-filled target), then add the alias tags with manifest PUTs.
 */
export async function pushSet(set: ImageSet, layoutDir: string, registry: RunningRegistry, namespace = ""): Promise<void> {
  const prefix = namespace === "" ? "" : `${namespace}/`;
  await pool(set.images, 4, (img) => pushImage(layoutDir, img.layoutTag, registry, `${prefix}${img.repo}`, { destTag: img.tag }));
  const endpoint = registry.auth ? { url: registry.url, auth: registry.auth } : { url: registry.url };
  await pool(set.images, 8, async (img) => {
    const aliases = set.entries.filter((e) => e.repo === img.repo && e.tag !== TAG).map((e) => e.tag);
    if (aliases.length > 0) await aliasTags(endpoint, `${prefix}${img.repo}`, TAG, aliases);
  });
}

/** Bytes of the blobs of `set` that `present` does not already hold: what an ideal mirror uploads. */
export function missingBlobBytes(set: ImageSet, present: ImageSet | null): number {
  const have = new Set(present?.images.flatMap((i) => [...i.blobs.keys()]) ?? []);
  const need = new Map<string, number>();
  for (const img of set.images) for (const [d, s] of img.blobs) if (!have.has(d)) need.set(d, s);
  return [...need.values()].reduce((a, b) => a + b, 0);
}

/** Blob bytes counted per image over all entries: what a tool that moves every layer of every image moves. */
export function countedBytes(set: ImageSet): number {
  const byRepo = new Map(set.images.map((i) => [i.repo, i.countedBytes]));
  return set.entries.reduce((n, e) => n + (byRepo.get(e.repo) ?? 0), 0);
}
