/**
 * `catalog.json`: the catalogue's state and the page's data, one versioned document. It is
 * read back from the previous deployment on every run (see docs/catalogue.md), so it is
 * validated like any other input: a document that fails the schema is refused, never merged.
 */
import { z } from "zod";

/** Bump when a field changes meaning or goes away; adding optional fields keeps it. */
export const CATALOG_VERSION = 1;

const isoTime = z.iso.datetime({ offset: true }).describe("ISO 8601 time, UTC");

/** Only links we build ourselves reach the page, and only http(s) ones. */
export const httpUrlSchema = z
  .url({ protocol: /^https?$/ })
  .describe("an http(s) URL");

const reference = z.string().regex(/^[^\s\u0000-\u001f\u007f]+$/, "an image reference without whitespace or control characters");

export const freshnessStateSchema = z
  .enum(["fresh", "behind", "failed"])
  .describe("fresh: the target's digest equals upstream's at the last check; behind: upstream has moved since; failed: the last copy or check failed");

export const freshnessSchema = z
  .object({
    state: freshnessStateSchema,
    reason: z.string().nullable().describe("why the target is behind or failed, in words; null when fresh"),
    run: httpUrlSchema.nullable().describe("the run that found this, when known"),
  })
  .describe("how fresh the target is, derived from the facts beside it");

export const catalogTargetSchema = z
  .object({
    name: z.string().describe("name of the configured target registry"),
    reference: reference.describe("full target reference, the address to pull"),
    digest: z.string().nullable().describe("digest the target holds, as last seen; null when never seen"),
    size: z.number().int().nonnegative().nullable().describe("bytes of all blobs and manifests of the image; null when unknown"),
    lastCopied: isoTime.nullable().describe("when a run last moved this image to the target; null when never (it was already there)"),
    lastChecked: isoTime.describe("when a run last compared this target with upstream"),
    lastStatus: z.enum(["copied", "skipped", "failed"]).describe("what the last run did for this target"),
    error: z.string().nullable().describe("why the last run failed for this target; null unless lastStatus is failed"),
    run: httpUrlSchema.nullable().describe("the run that last checked this target, when known"),
    freshness: freshnessSchema,
  })
  .describe("one target registry's copy of an image");

export const catalogImageSchema = z
  .object({
    id: z.string().min(1).describe("the row's anchor on the page: the source reference, plus \"|os/arch\" for a platform entry"),
    source: reference.describe("canonical source reference, e.g. docker.io/library/nginx:1.26"),
    platform: z.string().nullable().describe("os/arch[/variant] for a platform entry; null for the whole multi-arch index"),
    platforms: z.array(z.string()).describe("platforms the image is known to hold; empty when the results did not say"),
    rule: z.string().nullable().describe("the tag rule this tag was expanded from, when it came from one"),
    upstream: z
      .object({
        digest: z.string().nullable().describe("the source's digest at the last check that could read it"),
        checkedAt: isoTime.nullable().describe("when that check ran; null when no check could read the source"),
        run: httpUrlSchema.nullable().describe("the run of that check, when known"),
      })
      .describe("the source as last seen"),
    targets: z.array(catalogTargetSchema).describe("one entry per target registry"),
  })
  .describe("one mirrored image (one row of the page)");

export const catalogRuleSchema = z
  .object({
    rule: z.string().describe("the tag rule as written"),
    tags: z.array(z.string()).describe("the source references it matched, sorted"),
  })
  .describe("a tag rule and the tags it matched");

export const catalogSchema = z
  .object({
    version: z.literal(CATALOG_VERSION).describe("schema version of this file"),
    generatedAt: isoTime.describe("when this file was written"),
    repository: httpUrlSchema.nullable().describe("the repository whose runs filled the catalogue; the page's request links point at its issue form"),
    summary: z
      .object({
        images: z.number().int().nonnegative().describe("rows"),
        fresh: z.number().int().nonnegative().describe("rows whose every target is fresh"),
        behind: z.number().int().nonnegative().describe("rows with a target behind and none failed"),
        failed: z.number().int().nonnegative().describe("rows with a failed target"),
      })
      .describe("counts over the rows, as the badge shows them"),
    runs: z
      .array(
        z.object({
          key: z.string().describe("run id, or the result's start time and request when the run id is unknown"),
          finishedAt: isoTime.describe("when the run's sync finished"),
          url: httpUrlSchema.nullable().describe("link to the run, when known"),
        }),
      )
      .describe("the most recent runs merged in, newest first (capped)"),
    rules: z.array(catalogRuleSchema).describe("tag rules and what they matched"),
    images: z.array(catalogImageSchema).describe("every mirrored image, sorted by id"),
  })
  .describe("the mirror catalogue (catalog.json)");

export type Freshness = z.infer<typeof freshnessSchema>;
export type FreshnessState = z.infer<typeof freshnessStateSchema>;
export type CatalogTarget = z.infer<typeof catalogTargetSchema>;
export type CatalogImage = z.infer<typeof catalogImageSchema>;
export type Catalog = z.infer<typeof catalogSchema>;

/** Validate a catalog.json read from disk or the previous deployment; throws a ZodError naming the field. */
export function parseCatalog(json: unknown): Catalog {
  return catalogSchema.parse(json);
}

/** A catalogue with nothing in it yet. */
export function emptyCatalog(now: Date, repository: string | null = null): Catalog {
  return { version: CATALOG_VERSION, generatedAt: now.toISOString(), repository, summary: { images: 0, fresh: 0, behind: 0, failed: 0 }, runs: [], rules: [], images: [] };
}
