/**
 * Whether this repository publishes the catalogue, and where the page lives. "auto" keeps a
 * private repository's image list off a Pages site, which is public on most plans.
 */
import type { CatalogConfig } from "../domain/config.js";

/** A repository's visibility as GitHub reports it; null for a local build, where nobody said. */
export type Visibility = "public" | "private" | "internal" | null;

/** On or off, and the reason in words for the log. */
export function catalogueDecision(config: CatalogConfig, visibility: Visibility): { enabled: boolean; reason: string } {
  if (config.enabled === true) return { enabled: true, reason: "catalog.enabled is true" };
  if (config.enabled === false) return { enabled: false, reason: "catalog.enabled is false" };
  if (visibility === "public") return { enabled: true, reason: "the repository is public (catalog.enabled: auto)" };
  // Someone building the site themselves (mirrorbot catalog, no visibility given) asked for it.
  if (visibility === null) return { enabled: true, reason: "no repository visibility was given (a local build)" };
  return { enabled: false, reason: `the repository is ${visibility} and a Pages site is public on most plans; set catalog.enabled to true to publish anyway` };
}

/**
 * The page's address: `catalog.url`, else GitHub's default Pages address for the repository
 * (which redirects to a custom domain when one is set).
 * @example pagesUrl(null, "Octo/mirror") // "https://octo.github.io/mirror/"
 * @example pagesUrl(null, "octo/octo.github.io") // "https://octo.github.io/"
 */
export function pagesUrl(configured: string | null, repository: string): string {
  if (configured !== null) return configured.endsWith("/") ? configured : `${configured}/`;
  const [owner = "", name = ""] = repository.split("/");
  const host = `${owner.toLowerCase()}.github.io`;
  return name.toLowerCase() === host ? `https://${host}/` : `https://${host}/${name}/`;
}
