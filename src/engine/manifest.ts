import { z } from "zod";
import type { Platform } from "../domain/platform.js";
import { samePlatform } from "../domain/platform.js";

const INDEX_TYPES = new Set<string>([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

const descriptorSchema = z.object({
  mediaType: z.string().optional().describe("media type of the referenced content"),
  digest: z.string().regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/).describe("content digest"),
  size: z.number().int().nonnegative().describe("size of the referenced content in bytes"),
  platform: z
    .object({
      os: z.string().describe("operating system"),
      architecture: z.string().describe("CPU architecture"),
      variant: z.string().optional().describe("CPU variant, e.g. v8"),
    })
    .optional()
    .describe("platform of an index entry"),
});

const indexSchema = z.object({
  mediaType: z.string().optional().describe("index media type"),
  manifests: z.array(descriptorSchema).describe("one descriptor per platform manifest"),
});

const imageManifestSchema = z.object({
  mediaType: z.string().optional().describe("manifest media type"),
  config: descriptorSchema.describe("the image config blob"),
  layers: z.array(descriptorSchema).describe("layer blobs, base first"),
});

export type Descriptor = z.infer<typeof descriptorSchema>;

/** A manifest as read from a registry: either an index of platform manifests, or one image. */
export type ParsedManifest =
  | { kind: "index"; mediaType: string; manifests: Descriptor[] }
  | { kind: "image"; mediaType: string; blobs: Descriptor[] };

/** Parse manifest bytes; the registry's Content-Type wins over the body's mediaType field. */
export function parseManifest(body: Buffer | string, contentType?: string): ParsedManifest {
  const json: unknown = JSON.parse(typeof body === "string" ? body : body.toString("utf8"));
  const declared = (json as { mediaType?: unknown }).mediaType;
  const mediaType = contentType?.split(";")[0]?.trim() || (typeof declared === "string" ? declared : "");
  if (INDEX_TYPES.has(mediaType) || (mediaType === "" && Array.isArray((json as { manifests?: unknown }).manifests))) {
    return { kind: "index", mediaType, manifests: indexSchema.parse(json).manifests };
  }
  const image = imageManifestSchema.parse(json);
  return { kind: "image", mediaType, blobs: [image.config, ...image.layers] };
}

/** True for index / manifest-list media types. */
export function isIndexType(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType);
}

/** The index entry for a platform, or undefined; `linux/arm64` matches an entry of `linux/arm64/v8`. */
export function findPlatform(manifests: Descriptor[], platform: Platform): Descriptor | undefined {
  return manifests.find((m) => m.platform !== undefined && samePlatform(toPlatform(m.platform), platform));
}

/** The platforms an index offers, formatted for an error message. */
export function listPlatforms(manifests: Descriptor[]): string[] {
  return manifests
    .filter((m) => m.platform && m.platform.os !== "unknown")
    .map((m) => [m.platform!.os, m.platform!.architecture, m.platform!.variant].filter(Boolean).join("/"));
}

function toPlatform(p: NonNullable<Descriptor["platform"]>): Platform {
  return p.variant ? { os: p.os, architecture: p.architecture, variant: p.variant } : { os: p.os, architecture: p.architecture };
}
