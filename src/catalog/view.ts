/**
 * What the page shows, derived from catalog.json in Node so the page's script only filters and
 * draws: short names, the name to `docker tag` back to, the line to request a refresh with.
 */
import { familiar, parseReference } from "../domain/reference.js";
import { imageFreshness } from "./freshness.js";
import type { Catalog, CatalogImage, FreshnessState } from "./schema.js";

/** One row of the page. */
export interface PageRow {
  id: string;
  source: string;
  short: string;
  tagBack: string | null;
  registry: string;
  platform: string | null;
  platforms: string[];
  rule: string | null;
  ruleTags: string[];
  state: FreshnessState;
  upstream: CatalogImage["upstream"];
  request: string;
  targets: {
    name: string;
    reference: string;
    digest: string | null;
    size: number | null;
    lastCopied: string | null;
    lastChecked: string;
    state: FreshnessState;
    reason: string | null;
    run: string | null;
  }[];
}

/** The data the page embeds. */
export interface PageData {
  generatedAt: string;
  repository: string | null;
  summary: Catalog["summary"];
  rows: PageRow[];
}

/** Docker's short name where the source parses, else the source as written (it is shown as text either way). */
function names(source: string): { short: string; tagBack: string | null; registry: string } {
  try {
    const ref = parseReference(source);
    const short = familiar(ref);
    return { short, tagBack: ref.tag !== undefined ? short.replace(/@.*$/, "") : null, registry: ref.domain };
  } catch {
    return { short: source, tagBack: null, registry: source.split("/")[0] ?? source };
  }
}

/** The page's rows, in the catalogue's order. */
export function pageData(catalog: Catalog): PageData {
  const rules = new Map(catalog.rules.map((r) => [r.rule, r.tags]));
  return {
    generatedAt: catalog.generatedAt,
    repository: catalog.repository,
    summary: catalog.summary,
    rows: catalog.images.map((image) => {
      const { short, tagBack, registry } = names(image.source);
      return {
        id: image.id,
        source: image.source,
        short,
        tagBack,
        registry,
        platform: image.platform,
        platforms: image.platforms,
        rule: image.rule,
        ruleTags: image.rule === null ? [] : (rules.get(image.rule) ?? []).map((tag) => names(tag).short),
        state: imageFreshness(image),
        upstream: image.upstream,
        request: image.platform === null ? short : `--platform=${image.platform} ${short}`,
        targets: image.targets.map((t) => ({
          name: t.name,
          reference: t.reference,
          digest: t.digest,
          size: t.size,
          lastCopied: t.lastCopied,
          lastChecked: t.lastChecked,
          state: t.freshness.state,
          // The page words "behind" itself, in the reader's language; only a failure's reason is shown as given.
          reason: t.freshness.state === "failed" ? t.freshness.reason : null,
          run: t.freshness.run,
        })),
      };
    }),
  };
}
