import { canonical } from "../domain/reference.js";
import { formatPlatform } from "../domain/platform.js";
import { findPlatform, listPlatforms, parseManifest } from "./manifest.js";
import type { Registries } from "./registries.js";
import { type ManifestDocument, RegistryError } from "./registry-client.js";
import type { PlatformCache } from "./platform-cache.js";
import { type SyncTask, sourceManifestRef } from "./tasks.js";

/** What planning decided for one task, from HEAD requests (and one GET for a platform entry whose index is not cached). */
export type Resolution =
  | { kind: "skip"; sourceDigest: string; targetDigest: string }
  | {
      kind: "copy";
      sourceDigest: string;
      mediaType: string;
      targetDigest: string | null;
      /** The source's top manifest, when resolving read it already (the target lacked the tag). */
      sourceManifest?: ManifestDocument;
    }
  | { kind: "fail"; error: string; sourceDigest: string | null; transient: boolean };

/** A failure planning can report without retrying or that retries did not cure. */
export class ResolveError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = "ResolveError";
  }
}

/** How {@link resolveTask} decides. */
export interface ResolveOptions {
  /** Copy even when the digests are equal. */
  force: boolean;
  /** Platform digests of indexes read before. */
  platforms?: PlatformCache;
  /**
   * The run copies what it resolves (not a dry run or a plan): a whole image asks the target
   * first, and where the target lacks the tag it reads the source manifest at once (one GET)
   * instead of a HEAD now and the copier's GET later.
   */
  readForCopy?: boolean;
  /** Told the target's digest for the tag (null: missing) as soon as the target answers, before the source does. */
  onTarget?: (digest: string | null) => void;
}

/**
 * Decide whether a task needs a copy by comparing digests. A whole image compares the index
 * digest; a platform entry compares that platform's manifest digest. Only HEADs touch the
 * source, except a platform entry whose index digest `platforms` does not know yet, which
 * reads the index once to learn the platform's digest, and (with `readForCopy`) an image the
 * target lacks, whose manifest is read instead of HEADed: the copy needs it anyway.
 */
export async function resolveTask(task: SyncTask, registries: Registries, options: ResolveOptions): Promise<Resolution> {
  const { force, platforms } = options;
  if (options.readForCopy && task.platform === null) {
    // The target first: it is the near side, and when it lacks the tag the source is read, not
    // HEADed. A HEAD and then a GET of the same manifest cost the source two requests for one.
    const targetDigest = await headTarget(task, registries);
    options.onTarget?.(targetDigest);
    if (targetDigest === null) {
      const top = await readSource(task, registries);
      return { kind: "copy", sourceDigest: top.digest, mediaType: top.mediaType, targetDigest, sourceManifest: top };
    }
    return decide(await resolveSource(task, registries, platforms), targetDigest, force);
  }
  // Both sides at once: over a long link each HEAD is a round trip (two, where the registry
  // closes the connection after a HEAD, as distribution does).
  const target = headTarget(task, registries).then((digest) => {
    options.onTarget?.(digest);
    return digest;
  });
  const [source, targetDigest] = await Promise.all([resolveSource(task, registries, platforms), target]);
  return decide(source, targetDigest, force);
}

/** Skip when the target holds the source's digest under the tag (unless forced), else copy. */
function decide(source: { digest: string; mediaType: string }, targetDigest: string | null, force: boolean): Resolution {
  if (!force && targetDigest === source.digest) return { kind: "skip", sourceDigest: source.digest, targetDigest };
  return { kind: "copy", sourceDigest: source.digest, mediaType: source.mediaType, targetDigest };
}

/** The source's top manifest, read whole (GET by the entry's tag or digest). */
async function readSource(task: SyncTask, registries: Registries): Promise<ManifestDocument> {
  const { client } = registries.get(task.source.domain);
  try {
    // getManifest checks the bytes against a digest reference itself.
    return await call(() => client.getManifest(task.source.path, sourceManifestRef(task.source)), "source", task, registries, [404]);
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) throw new ResolveError(`source not found: ${canonical(task.source)}`, false);
    throw error;
  }
}

async function resolveSource(task: SyncTask, registries: Registries, platforms?: PlatformCache): Promise<{ digest: string; mediaType: string }> {
  const { client } = registries.get(task.source.domain);
  const name = canonical(task.source);
  const head = await call(() => client.headManifest(task.source.path, sourceManifestRef(task.source)), "source", task, registries);
  if (!head) throw new ResolveError(`source not found: ${name}`, false);
  if (task.source.digest && head.digest !== task.source.digest) {
    throw new ResolveError(`source digest mismatch for ${name}: the registry served ${head.digest}`, false);
  }
  if (task.platform === null) return { digest: head.digest, mediaType: head.mediaType };

  const wanted = formatPlatform(task.platform);
  // The index this digest names was read before: its platforms cannot have changed.
  const repository = `${task.source.domain}/${task.source.path}`;
  const known = platforms?.get(repository, head.digest, wanted);
  if (known) return known;
  const doc = await call(() => client.getManifest(task.source.path, head.digest), "source", task, registries);
  const parsed = parseManifest(doc.body, doc.mediaType);
  if (parsed.kind === "image") {
    // A single-platform image has no index to choose from; copying it under a platform tag
    // would claim a platform we have not checked, so ask for the whole image instead.
    throw new ResolveError(`${name} is a single-platform image, not a multi-platform index: remove --platform=${wanted}`, false);
  }
  const match = findPlatform(parsed.manifests, task.platform);
  if (!match) {
    const offered = listPlatforms(parsed.manifests).join(", ") || "none";
    throw new ResolveError(`platform ${wanted} not found in ${name} (available: ${offered})`, false);
  }
  const found = { digest: match.digest, mediaType: match.mediaType ?? "" };
  platforms?.set(repository, head.digest, wanted, found);
  return found;
}

async function headTarget(task: SyncTask, registries: Registries): Promise<string | null> {
  const { client } = registries.get(task.target.registry);
  const head = await call(() => client.headManifest(task.targetRepo, task.targetTag), "target", task, registries);
  return head?.digest ?? null;
}

/**
 * Run a registry call, turning RegistryErrors into messages that name the image and the fix;
 * those with a status in `keep` are rethrown as they are, for the caller to word.
 */
async function call<T>(fn: () => Promise<T>, side: "source" | "target", task: SyncTask, registries: Registries, keep: readonly number[] = []): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof RegistryError) || (error.status !== null && keep.includes(error.status))) throw error;
    throw new ResolveError(explain(error, side, task, registries), error.transient);
  }
}

/** What to check when `side` refused a login: the variables its credentials came from. */
function credentialsHint(side: "source" | "target", task: SyncTask, registries: Registries): string {
  const creds = registries.get(side === "source" ? task.source.domain : task.target.registry).credentialSource;
  return creds ? ` (check ${creds})` : side === "target" ? " (no credentials configured for this target)" : "";
}

/**
 * A failed copy in words, with the same credentials hint on the write side as planning gives
 * on the read side: a pull-only account passes every HEAD and fails only at the push.
 */
export function explainCopyFailure(error: unknown, task: SyncTask, registries: Registries): string {
  if (error instanceof RegistryError && (error.status === 401 || error.status === 403)) return explain(error, "target", task, registries);
  return error instanceof Error ? error.message : String(error);
}

/** A RegistryError in words a person can act on. */
export function explain(error: RegistryError, side: "source" | "target", task: SyncTask, registries: Registries): string {
  const registry = side === "source" ? task.source.domain : task.target.registry;
  const name = side === "source" ? canonical(task.source) : task.targetReference;
  const creds = registries.get(registry).credentialSource;
  const hint = credentialsHint(side, task, registries);
  if (error.status === 401) {
    // Docker Hub answers 401, not 404, for a repository that does not exist.
    return side === "source" && !creds ? `source not found or not public: ${name}` : `authentication failed for ${registry}${hint}`;
  }
  if (error.status === 403) return `access denied to ${name} on ${registry}${hint}`;
  if (error.quota) return `${error.message} (while reading ${name})`;
  if (error.status === 429) return `rate limited by ${registry} while reading ${name}${side === "source" && !creds ? " (set source credentials to raise the limit)" : ""}`;
  return `${side} ${name}: ${error.message}`;
}

/** Read an image's blob list (config and layers of every platform copied) and its total size. */
export async function readBlobs(
  registries: Registries,
  registry: string,
  repo: string,
  digest: string,
): Promise<{ blobs: Array<{ digest: string; size: number }>; size: number }> {
  const { client } = registries.get(registry);
  const top = await client.getManifest(repo, digest);
  const parsed = parseManifest(top.body, top.mediaType);
  if (parsed.kind === "image") {
    return { blobs: parsed.blobs.map(({ digest, size }) => ({ digest, size })), size: top.body.length + sum(parsed.blobs) };
  }
  const children = await Promise.all(parsed.manifests.map((m) => client.getManifest(repo, m.digest)));
  const blobs = new Map<string, number>();
  let size = top.body.length;
  for (const child of children) {
    const image = parseManifest(child.body, child.mediaType);
    size += child.body.length;
    if (image.kind !== "image") continue; // nested indexes are not copied by --all either
    for (const b of image.blobs) blobs.set(b.digest, b.size);
  }
  const list = [...blobs].map(([digest, size]) => ({ digest, size }));
  return { blobs: list, size: size + sum(list) };
}

function sum(items: Array<{ size: number }>): number {
  return items.reduce((n, b) => n + b.size, 0);
}

