/**
 * Read what an image is made of at the source: its manifest or index, every child manifest,
 * and every blob they reference. Bytes are kept exactly as read, so pushing them gives the
 * same digests; nothing is parsed beyond the descriptors, so any config or layer media type
 * (a Helm chart, a WASM module, an SBOM) copies like an image layer.
 */
import { parseManifest } from "../manifest.js";
import type { ManifestDocument, RegistryClient } from "../registry-client.js";
import type { BlobRef } from "./get-blob.js";

/** An image as stored at the source. */
export interface SourceTree {
  /** Manifests to push, children before their index; the last one is the top. */
  manifests: ManifestDocument[];
  /** Unique blobs of every manifest. */
  blobs: BlobRef[];
  /** Bytes of every manifest and blob. */
  size: number;
}

/** Indexes inside indexes are rare; deeper nesting is refused rather than followed without end. */
const MAX_DEPTH = 3;

/** Read the tree under `digest` in `repo`; `top`, when given, is that manifest as read already. */
export async function readSourceTree(client: RegistryClient, repo: string, digest: string, top?: ManifestDocument): Promise<SourceTree> {
  const manifests: ManifestDocument[] = [];
  const blobs = new Map<string, number>();
  const visit = async (ref: string, depth: number): Promise<void> => {
    const doc = depth === 0 && top?.digest === ref ? top : await client.getManifest(repo, ref);
    const parsed = parseManifest(doc.body, doc.mediaType);
    if (parsed.kind === "index") {
      if (depth >= MAX_DEPTH) throw new Error(`${repo}@${ref}: indexes nested deeper than ${MAX_DEPTH} levels`);
      // Children one after another keeps their order, so the push order is stable.
      for (const child of parsed.manifests) await visit(child.digest, depth + 1);
    } else {
      for (const b of parsed.blobs) blobs.set(b.digest, b.size);
    }
    if (!manifests.some((m) => m.digest === doc.digest)) manifests.push(doc);
  };
  await visit(digest, 0);
  const list = [...blobs].map(([d, size]) => ({ digest: d, size }));
  const size = manifests.reduce((n, m) => n + m.body.length, 0) + list.reduce((n, b) => n + b.size, 0);
  return { manifests, blobs: list, size };
}
