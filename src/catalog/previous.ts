/**
 * The catalogue's state between runs: the catalog.json of the last deployment, read back from
 * the Pages site. A site that is not there yet (404) starts an empty catalogue; any other
 * failure stops the build, because publishing without the old state would drop every image
 * that no recent result mentions.
 */
import { ZodError } from "zod";
import { type Catalog, parseCatalog } from "./schema.js";

/** The previous catalogue could not be read; `status` is the HTTP status when there was one. */
export class PreviousCatalogError extends Error {
  readonly url: string;
  readonly status: number | null;
  constructor(url: string, status: number | null, reason: string) {
    super(`${url}: ${reason}`);
    this.name = "PreviousCatalogError";
    this.url = url;
    this.status = status;
  }
}

/**
 * Fetch `<pageUrl>catalog.json`; null when the site has none yet (404).
 * The query string asks Pages' CDN for a fresh copy rather than one cached for minutes.
 */
export async function fetchPreviousCatalog(pageUrl: string, options: { fetch?: typeof fetch; timeoutMs?: number; now?: Date } = {}): Promise<Catalog | null> {
  const url = new URL("catalog.json", pageUrl);
  url.searchParams.set("t", String((options.now ?? new Date()).getTime()));
  const shown = url.href.replace(/\?.*$/, "");
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { redirect: "follow", signal: AbortSignal.timeout(options.timeoutMs ?? 60_000), headers: { accept: "application/json" } });
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new PreviousCatalogError(shown, null, `could not fetch the deployed catalogue (${code})`);
  }
  if (response.status === 404) return null;
  if (!response.ok) throw new PreviousCatalogError(shown, response.status, `HTTP ${response.status} fetching the deployed catalogue`);
  try {
    return parseCatalog(await response.json());
  } catch (err) {
    const why = err instanceof ZodError ? `${err.issues[0]?.path.join(".") || "(top level)"}: ${err.issues[0]?.message}` : "not JSON";
    throw new PreviousCatalogError(shown, response.status, `the deployed catalog.json is not one this version reads (${why})`);
  }
}
