/**
 * Read a repository's whole tag list, following the distribution spec's pagination: ask for
 * `n` tags, then follow `Link: <...>; rel="next"` until there is none. Docker Hub, GHCR and
 * distribution 3 page their answers; distribution 2.8 ignores `n` and answers everything at
 * once. A listing is a GET of the tag list, never of a manifest: Docker Hub does not count it
 * as a pull. Each repository is listed at most once per run (a {@link TagLister} caches it).
 */
import { repository, type ImageReference } from "../domain/reference.js";
import { RegistryError, type RegistryClient } from "./registry-client.js";

/** Tags asked for per page: Docker Hub and GHCR serve up to 100 or 1000, and cut larger asks. */
export const TAG_PAGE_SIZE = 1000;
/** A bound on pages, so a registry whose `next` never ends cannot keep a run going. */
export const MAX_TAG_PAGES = 500;

/** A repository the registry does not know: no tags to choose from. */
export class RepositoryNotFoundError extends Error {
  constructor(readonly repository: string) {
    super(`repository not found: ${repository}`);
    this.name = "RepositoryNotFoundError";
  }
}

/**
 * The target of a `Link` header's rel="next", or null.
 * @example nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"') // "/v2/a/tags/list?n=2&last=b"
 */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/s.exec(part);
    const rel = /(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;]*))/i.exec(m?.[2] ?? "");
    if (m && rel && (rel[1] ?? rel[2] ?? "").toLowerCase().split(/\s+/).includes("next")) return m[1] ?? null;
  }
  return null;
}

/**
 * Every tag of `repo`, in the registry's order, following `Link` pages. Throws
 * RepositoryNotFoundError for an unknown repository and RegistryError for a page that
 * leaves the registry or a listing that does not end.
 */
export async function listAllTags(client: RegistryClient, repo: string, pageSize = TAG_PAGE_SIZE): Promise<string[]> {
  const tags: string[] = [];
  const seen = new Set<string>();
  let page: string | null = `/v2/${repo}/tags/list?n=${pageSize}`;
  for (let pages = 0; page !== null; pages++) {
    if (pages === MAX_TAG_PAGES) {
      throw new RegistryError(`${client.registry} kept paging the tags of ${repo} past ${MAX_TAG_PAGES} pages`, client.registry, null, "TAG_LIST_ENDLESS", false);
    }
    const { tags: batch, link } = await client.tagListPage(repo, page);
    if (batch === null) {
      if (pages === 0) throw new RepositoryNotFoundError(`${client.registry}/${repo}`);
      break;
    }
    for (const t of batch) {
      if (!seen.has(t)) tags.push(t);
      seen.add(t);
    }
    page = samePlace(client, nextLink(link));
    if (page !== null && batch.length === 0) break; // a "next" after an empty page would loop
  }
  return tags;
}

/** The path and query of a next link on the client's own registry; credentials never go elsewhere. */
function samePlace(client: RegistryClient, link: string | null): string | null {
  if (link === null) return null;
  const url = new URL(link, client.baseUrl);
  if (url.origin !== new URL(client.baseUrl).origin) {
    throw new RegistryError(`${client.registry} sent a tag list page on another host (${url.origin}); refused`, client.registry, null, "TAG_LIST_FOREIGN", false);
  }
  return `${url.pathname}${url.search}`;
}

/** Lists each repository once per run, however many tag sets name it. */
export class TagLister {
  private readonly cache = new Map<string, Promise<string[]>>();

  constructor(
    private readonly clientFor: (registry: string) => RegistryClient,
    private readonly pageSize = TAG_PAGE_SIZE,
  ) {}

  /** Every tag of the repository of `source` (its tag or digest is ignored). */
  list(source: Pick<ImageReference, "domain" | "path">): Promise<string[]> {
    const key = repository(source);
    let pending = this.cache.get(key);
    if (!pending) {
      pending = listAllTags(this.clientFor(source.domain), source.path, this.pageSize);
      this.cache.set(key, pending);
    }
    return pending;
  }
}
