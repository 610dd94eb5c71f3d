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

const IMAGE_TYPES = new Set<string>([
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
]);

/**
 * Parse manifest bytes. A manifest Content-Type from the registry wins over the body's
 * mediaType field; any other (some registries answer `application/json` or `text/plain`)
 * is ignored, and then the body's mediaType or its shape decides.
 * Throws an Error with a one-line message when the bytes are not an index or a manifest.
 */
export function parseManifest(body: Buffer | string, contentType?: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === "string" ? body : body.toString("utf8"));
  } catch {
    throw new Error("the manifest is not JSON");
  }
  const declared = (json as { mediaType?: unknown }).mediaType;
  const header = contentType?.split(";")[0]?.trim() ?? "";
  const mediaType = INDEX_TYPES.has(header) || IMAGE_TYPES.has(header) ? header : typeof declared === "string" ? declared : "";
  const isIndex = INDEX_TYPES.has(mediaType) || (!IMAGE_TYPES.has(mediaType) && Array.isArray((json as { manifests?: unknown }).manifests));
  if (isIndex) return { kind: "index", mediaType, manifests: valid(indexSchema, json, "image index").manifests };
  const image = valid(imageManifestSchema, json, "image manifest");
  return { kind: "image", mediaType, blobs: [image.config, ...image.layers] };
}

function valid<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(`not a valid ${what}: ${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`);
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
