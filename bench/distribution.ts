/**
 * The few distribution API calls the bench makes itself: read a manifest's digest (to verify a
 * method's result) and copy a manifest under another tag (to alias tags cheaply). Plain HTTP on
 * 127.0.0.1 only, basic auth when the registry has it.
 */
import type { RegistryAuth } from "../test/harness/registry.js";

/** A registry the bench talks to directly. */
export interface Endpoint {
  /** "http://127.0.0.1:PORT" */
  url: string;
  auth?: RegistryAuth;
}

// distribution answers 404 to a manifest request whose Accept does not list its media type.
const ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

const TIMEOUT_MS = 30_000;

function headers(ep: Endpoint, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { accept: ACCEPT, ...extra };
  if (ep.auth) h.authorization = `Basic ${Buffer.from(`${ep.auth.username}:${ep.auth.password}`).toString("base64")}`;
  return h;
}

/** The digest a tag points at, or null when the registry has no such manifest. */
export async function manifestDigest(ep: Endpoint, repo: string, ref: string): Promise<string | null> {
  const res = await fetch(`${ep.url}/v2/${repo}/manifests/${ref}`, {
    method: "HEAD",
    headers: headers(ep),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await res.arrayBuffer();
  if (res.status === 404) return null;
  if (res.status !== 200) throw new Error(`HEAD ${repo}:${ref} answered ${res.status}`);
  return res.headers.get("docker-content-digest");
}

/**
 * Point each of `toTags` at the manifest `repo:fromRef` points at (same bytes, same digest).
 * One after the other: distribution 2.8's filesystem driver rewrites the manifest's revision
 * link on every tag PUT, and a read racing that rewrite gets a 500.
 */
export async function aliasTags(ep: Endpoint, repo: string, fromRef: string, toTags: readonly string[]): Promise<void> {
  const got = await fetch(`${ep.url}/v2/${repo}/manifests/${fromRef}`, { headers: headers(ep), signal: AbortSignal.timeout(TIMEOUT_MS) });
  const body = Buffer.from(await got.arrayBuffer());
  if (got.status !== 200) throw new Error(`GET ${repo}:${fromRef} answered ${got.status}: ${body.toString("utf8").slice(0, 300)}`);
  const type = got.headers.get("content-type") ?? "";
  for (const toTag of toTags) {
    const put = await fetch(`${ep.url}/v2/${repo}/manifests/${toTag}`, {
      method: "PUT",
      headers: headers(ep, { "content-type": type }),
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const answer = await put.text();
    if (put.status !== 201) throw new Error(`PUT ${repo}:${toTag} answered ${put.status}: ${answer.slice(0, 300)}`);
  }
}
