/**
 * Build OCI test images without Docker, as OCI image layouts on disk, and push them with skopeo.
 *
 * A layer is a gzipped tar holding one file of pseudo-random bytes. The bytes come from
 * AES-256-CTR keyed by the layer's seed, so the same seed and size give the same blob in every
 * image (a shared layer), and a 1 GB layer streams to disk without being held in memory.
 *
 * Layers must be compressed: skopeo gzips uncompressed layers on the way to a registry, which
 * changes the manifest digest, and the tests need the pushed digest to be the built one.
 */
import { createCipheriv, createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { execa } from "execa";
import { writeAuthFile } from "../../src/engine/auth-file.js";

export const MEDIA_TYPES = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

/** One layer: a gzipped tar with a single file of `size` pseudo-random bytes derived from `seed`. */
export interface LayerSpec {
  seed: string;
  /** Bytes of the file inside the tar; the blob adds tar framing and gzip stored-block overhead (about 0.01%). */
  size: number;
}

/** One platform of an image. */
export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
  layers: LayerSpec[];
}

/** An image to build into an OCI layout. */
export interface ImageSpec {
  /** The OCI layout directory; created if missing. Several images may share one, built one after another. */
  dir: string;
  tag: string;
  platforms: PlatformSpec[];
  /** Put into each config's `config.Labels`; use them to make otherwise equal images differ. */
  labels?: Record<string, string>;
  /** Write an index even for one platform. Default: an index only for two or more platforms. */
  index?: boolean;
}

/** A content-addressed blob. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** One platform's manifest and what it references. */
export interface BuiltManifest extends Descriptor {
  platform: { os: string; architecture: string; variant?: string };
  config: Descriptor;
  layers: Descriptor[];
}

/** What buildImage wrote. */
export interface BuiltImage extends Descriptor {
  dir: string;
  tag: string;
  /** The platform manifests (for a single manifest image, just that one). */
  manifests: BuiltManifest[];
  /** Unique layer and config blobs: what a push uploads through the blob API. */
  blobs: Descriptor[];
}

/** Where to push, e.g. a RunningRegistry. */
export interface PushTarget {
  host: string;
  auth?: { username: string; password: string };
}

const CHUNK = 1 << 20;
const ZERO_CHUNK = Buffer.alloc(CHUNK);
const TAR_BLOCK = 512;
const SKOPEO_TIMEOUT_MS = 10 * 60_000;
const REF_NAME = "org.opencontainers.image.ref.name";

interface BuiltLayer extends Descriptor {
  /** Digest of the uncompressed tar, as the config's rootfs lists it. */
  diffId: string;
}

// Built layers by seed and size, so a layout that already holds one skips regenerating it.
const layerMemo = new Map<string, BuiltLayer>();

function digestOf(data: Buffer | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function blobFile(dir: string, digest: string): string {
  const [algorithm = "", hex = ""] = digest.split(":");
  return join(dir, "blobs", algorithm, hex);
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

async function writeBlob(dir: string, mediaType: string, data: Buffer): Promise<Descriptor> {
  const digest = digestOf(data);
  const path = blobFile(dir, digest);
  if (!(await exists(path))) await writeFile(path, data);
  return { mediaType, digest, size: data.length };
}

/** A ustar header for one regular file, with fixed owner, mode and mtime so it is reproducible. */
export function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(TAR_BLOCK);
  const field = (offset: number, length: number, value: string) => h.write(value, offset, length, "ascii");
  const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, "0")}\0`;
  field(0, 100, name);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(size, 12));
  field(136, 12, octal(0, 12));
  field(148, 8, " ".repeat(8));
  field(156, 1, "0");
  field(257, 6, "ustar\0");
  field(263, 2, "00");
  let sum = 0;
  for (const byte of h) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** Stream a gzipped layer tar into the layout, hashing the tar (diff id) and the blob as it goes. */
async function writeLayer(dir: string, layer: LayerSpec): Promise<BuiltLayer> {
  if (!Number.isSafeInteger(layer.size) || layer.size < 0 || layer.size >= 8 ** 11) {
    throw new Error(`layer size must be a whole number of bytes below 8 GiB, got ${layer.size}`);
  }
  const memoKey = `${layer.seed}\0${layer.size}`;
  const known = layerMemo.get(memoKey);
  if (known && (await exists(blobFile(dir, known.digest)))) return known;

  const seedHash = createHash("sha256").update(layer.seed).digest();
  const cipher = createCipheriv("aes-256-ctr", seedHash, Buffer.alloc(16));
  const tarHash = createHash("sha256");
  const blobHash = createHash("sha256");
  let size = 0;
  async function* tar(): AsyncGenerator<Buffer> {
    const out = (buf: Buffer) => (tarHash.update(buf), buf);
    yield out(tarHeader(`data-${seedHash.toString("hex").slice(0, 16)}.bin`, layer.size));
    for (let left = layer.size; left > 0; left -= CHUNK) {
      const n = Math.min(CHUNK, left);
      yield out(cipher.update(n === CHUNK ? ZERO_CHUNK : ZERO_CHUNK.subarray(0, n)));
    }
    const padding = (TAR_BLOCK - (layer.size % TAR_BLOCK)) % TAR_BLOCK;
    // Tar ends with two zero blocks after the padded file data.
    yield out(Buffer.alloc(padding + 2 * TAR_BLOCK));
  }
  async function* tap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      blobHash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  }
  const tmp = join(dir, "blobs", "sha256", `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    // Level 0 (stored blocks): random bytes do not compress, and it keeps 1 GB layers fast.
    await pipeline(tar(), createGzip({ level: 0 }), tap, createWriteStream(tmp));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const digest = `sha256:${blobHash.digest("hex")}`;
  await rename(tmp, blobFile(dir, digest));
  const built: BuiltLayer = { mediaType: MEDIA_TYPES.layer, digest, size, diffId: `sha256:${tarHash.digest("hex")}` };
  layerMemo.set(memoKey, built);
  return built;
}

function platformOf(p: PlatformSpec): BuiltManifest["platform"] {
  return p.variant ? { architecture: p.architecture, os: p.os, variant: p.variant } : { architecture: p.architecture, os: p.os };
}

async function buildPlatform(dir: string, p: PlatformSpec, labels: Record<string, string> | undefined): Promise<BuiltManifest> {
  const built: BuiltLayer[] = [];
  for (const l of p.layers) built.push(await writeLayer(dir, l));
  const layers = built.map(({ mediaType, digest, size }): Descriptor => ({ mediaType, digest, size }));
  const platform = platformOf(p);
  const configJson = {
    ...platform,
    config: labels ? { Labels: labels } : {},
    rootfs: { type: "layers", diff_ids: built.map((l) => l.diffId) },
  };
  const config = await writeBlob(dir, MEDIA_TYPES.config, Buffer.from(JSON.stringify(configJson)));
  const manifestJson = { schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, config, layers };
  const manifest = await writeBlob(dir, MEDIA_TYPES.manifest, Buffer.from(JSON.stringify(manifestJson)));
  return { ...manifest, platform, config, layers };
}

interface LayoutIndex {
  schemaVersion: 2;
  manifests: Array<Descriptor & { annotations?: Record<string, string> }>;
}

/** Build an image into an OCI layout and tag it there; same spec, same digests. */
export async function buildImage(spec: ImageSpec): Promise<BuiltImage> {
  if (spec.platforms.length === 0) throw new Error("an image needs at least one platform");
  await mkdir(join(spec.dir, "blobs", "sha256"), { recursive: true });
  await writeFile(join(spec.dir, "oci-layout"), `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}\n`);

  const manifests: BuiltManifest[] = [];
  for (const p of spec.platforms) manifests.push(await buildPlatform(spec.dir, p, spec.labels));

  let top: Descriptor;
  const first = manifests[0];
  if (manifests.length === 1 && !spec.index && first) {
    top = { mediaType: first.mediaType, digest: first.digest, size: first.size };
  } else {
    const indexJson = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: m.platform })),
    };
    top = await writeBlob(spec.dir, MEDIA_TYPES.index, Buffer.from(JSON.stringify(indexJson)));
  }

  const indexPath = join(spec.dir, "index.json");
  const layout: LayoutIndex = (await exists(indexPath))
    ? (JSON.parse(await readFile(indexPath, "utf8")) as LayoutIndex)
    : { schemaVersion: 2, manifests: [] };
  layout.manifests = layout.manifests.filter((m) => m.annotations?.[REF_NAME] !== spec.tag);
  layout.manifests.push({ ...top, annotations: { [REF_NAME]: spec.tag } });
  await writeFile(indexPath, `${JSON.stringify(layout)}\n`);

  const blobs = new Map<string, Descriptor>();
  for (const m of manifests) for (const b of [...m.layers, m.config]) blobs.set(b.digest, b);
  return { ...top, dir: spec.dir, tag: spec.tag, manifests, blobs: [...blobs.values()] };
}

/**
 * Push a tag of an OCI layout to `registry/repo:destTag` with `skopeo copy --all` over plain HTTP.
 * Credentials go through a 0600 auth file, never the command line.
 */
export async function pushImage(
  layoutDir: string,
  tag: string,
  registry: PushTarget,
  repo: string,
  opts: { destTag?: string; auth?: { username: string; password: string } | null } = {},
): Promise<void> {
  const auth = opts.auth === undefined ? registry.auth : opts.auth;
  const authFile = auth ? await writeAuthFile([{ registry: registry.host, ...auth }]) : null;
  try {
    const args = ["copy", "--all", "--quiet", "--dest-tls-verify=false"];
    if (authFile) args.push("--dest-authfile", authFile.path);
    args.push(`oci:${layoutDir}:${tag}`, `docker://${registry.host}/${repo}:${opts.destTag ?? tag}`);
    const result = await execa("skopeo", args, { reject: false, timeout: SKOPEO_TIMEOUT_MS, stdin: "ignore" });
    if (result.exitCode !== 0 || result.failed) {
      const why = (result.stderr || result.shortMessage || "").trim().split("\n").slice(-3).join(" ");
      throw new Error(`skopeo could not push ${layoutDir}:${tag} to ${registry.host}/${repo}: ${why}`);
    }
  } finally {
    await authFile?.dispose();
  }
}

/** One image for seedImages: pushed as `repo:tag`. */
export interface SeedSpec {
  repo: string;
  tag: string;
  platforms: PlatformSpec[];
  labels?: Record<string, string>;
  index?: boolean;
}

/** A pushed image: its reference in the registry and what was built. */
export interface SeededImage extends BuiltImage {
  repo: string;
  /** "HOST/repo:tag". */
  reference: string;
}

/**
 * Build and push a set of images, in order, from one temporary layout (removed after).
 * @example await seedImages(source, [{ repo: "library/nginx", tag: "1.26", platforms: twoArch }])
 */
export async function seedImages(registry: PushTarget, specs: readonly SeedSpec[]): Promise<SeededImage[]> {
  const dir = await mkdtemp(join(tmpdir(), "mirrorbot-oci-"));
  try {
    const seeded: SeededImage[] = [];
    for (const [i, s] of specs.entries()) {
      // A per-spec layout tag keeps two specs with the same tag in different repos apart.
      const layoutTag = `seed-${i}`;
      const spec: ImageSpec = { dir, tag: layoutTag, platforms: s.platforms };
      if (s.labels) spec.labels = s.labels;
      if (s.index !== undefined) spec.index = s.index;
      const built = await buildImage(spec);
      await pushImage(dir, layoutTag, registry, s.repo, { destTag: s.tag });
      seeded.push({ ...built, tag: s.tag, repo: s.repo, reference: `${registry.host}/${s.repo}:${s.tag}` });
    }
    return seeded;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Total bytes of unique blobs across images: what an ideal copy of all of them uploads. */
export function uniqueBlobBytes(images: readonly Pick<BuiltImage, "blobs">[]): number {
  const sizes = new Map<string, number>();
  for (const image of images) for (const b of image.blobs) sizes.set(b.digest, b.size);
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}
