/**
 * PutManifest: push an image's manifests children first (platform manifests by digest), then
 * the top under its tag, bytes exactly as read, so every digest is the source's. The tag goes
 * last so it never points at an index whose children are missing; distribution stores the top
 * under its digest with the tag PUT, so no separate digest PUT is needed for it.
 */
import type { RegistryClient } from "../registry-client.js";
import type { SourceTree } from "./source-tree.js";

/** Push `tree` into `repo` under `tag`; resolves to the digest the registry stored for the tag. */
export async function putManifests(client: RegistryClient, repo: string, tag: string, tree: SourceTree): Promise<string> {
  const top = tree.manifests[tree.manifests.length - 1]!;
  for (const child of tree.manifests.slice(0, -1)) await client.putManifest(repo, child.digest, child.body, child.mediaType);
  return client.putManifest(repo, tag, top.body, top.mediaType);
}
