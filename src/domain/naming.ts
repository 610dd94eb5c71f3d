/**
 * Map an images.txt entry to its reference in one target registry. A line's target depends
 * only on that line and the target's config, never on other lines; clashes between lines are
 * reported as collisions instead of being renamed away.
 *
 * Rules (REGISTRY/NAMESPACE/ is the target's registry and namespace; the namespace is left
 * out when empty):
 *
 * - flat (default): REGISTRY/NAMESPACE/NAME:TAG, one component below the namespace. NAME is
 *   the source path with every "/" replaced by `naming.separator` ("_"). Docker Hub's
 *   "library/" is dropped (as `docker` shows it); for other registries the host is dropped
 *   and the whole path kept:
 *     bitnami/redis:7           -> ns/bitnami_redis:7
 *     nginx:1.26                -> ns/nginx:1.26
 *     registry.k8s.io/pause:3.9 -> ns/pause:3.9
 *     ghcr.io/foo/bar:1         -> ns/foo_bar:1
 *   `includeSourceRegistry: true` prefixes the host as one more part:
 *     registry.k8s.io/pause:3.9 -> ns/registry.k8s.io_pause:3.9;  nginx -> ns/docker.io_nginx
 *   A host with a port or IPv6 brackets is made a valid component: lowercase, every run of
 *   other characters becomes "-": localhost:5000 -> localhost-5000, [::1]:5000 -> 1-5000.
 * - nested: the path keeps its "/", and Docker Hub's "library/" is kept, so the target path
 *   is the canonical source path: nginx:1.26 -> harbor.example.com/mirror/library/nginx:1.26;
 *   with includeSourceRegistry: .../mirror/docker.io/library/nginx:1.26.
 * - `=> NAME[:TAG]` (rename) replaces everything after REGISTRY/NAMESPACE/; in flat mode
 *   its "/" become the separator. Its tag defaults to the source tag.
 * - Tags: a source tag is kept as is. A digest-only source `nginx@sha256:<hex>` gets the tag
 *   "sha256-<hex>" (cosign style; 71 characters); `nginx:1.26@sha256:<hex>` keeps "1.26".
 *   The engine verifies the digest; naming only decides the tag.
 * - A platform entry (`--platform=linux/arm64`) is decorated, also when renamed, so platform
 *   entries of one image never clash:
 *     platformTag suffix (default): the tag gets "-os-arch[-variant]":
 *       mysql:8.0 -> ns/mysql:8.0-linux-arm64;  linux/arm/v7 -> ns/mysql:8.0-linux-arm-v7
 *     platformTag prefix (seed style): the name starts with "os_arch[_variant]", joined with
 *     the separator: ns/linux_arm64_mysql:8.0, ns/linux_arm_v7_bitnami_redis:7; nested
 *     prefixes the last path component: .../library/linux_arm64_mysql:8.0.
 * - `naming.lowercase: true` (default for ghcr.io) lowercases the namespace and the name
 *   (rename included); tags keep their case because registries treat them case-sensitively.
 * - The result must parse back as a reference: a name over 255 characters or a tag over 128
 *   is a NamingError, which {@link planTargets} reports as an error on the line.
 */
import type { TargetConfig } from "./config.js";
import type { Diagnostic } from "./diagnostic.js";
import type { ImageEntry } from "./images-file.js";
import { formatPlatform, parsePlatform, type Platform } from "./platform.js";
import { canonical, DOCKER_HUB, parseReference, parseRepositoryPath, ReferenceError } from "./reference.js";

/** One (entry, target) pair with the full target reference, e.g. "registry.example.com/mirror/nginx:1.26". */
export interface PlannedTarget {
  entry: ImageEntry;
  target: TargetConfig;
  reference: string;
}

/** A target reference that cannot be built or is not a valid reference. */
export class NamingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NamingError";
  }
}

const RENAME_HINT = 'give it an explicit name with "=> NAME:TAG"';

/**
 * The full reference of `entry` in `target`; throws NamingError when it would be invalid.
 * @example targetReference(entryOf("bitnami/redis:7"), flatTarget)        // "registry.example.com/mirror/bitnami_redis:7"
 * @example targetReference(entryOf("--platform=linux/arm64 mysql:8.0"), flatTarget) // ".../mirror/mysql:8.0-linux-arm64"
 */
export function targetReference(entry: ImageEntry, target: TargetConfig): string {
  const { naming } = target;
  const source = entry.source;
  const sourceTag = source.tag ?? digestTag(source.digest);

  let parts: string[];
  let tag: string;
  if (entry.rename !== null) {
    const renamed = parseRename(entry.rename, naming.lowercase);
    parts = renamed.path.split("/");
    tag = renamed.tag ?? sourceTag;
  } else {
    parts = sourceParts(source.domain, source.path, naming.style, naming.includeSourceRegistry);
    tag = sourceTag;
  }

  if (entry.platform !== null) {
    const words = formatPlatform(entry.platform).split("/");
    if (naming.platformTag === "suffix") {
      tag = `${tag}-${words.join("-")}`;
    } else if (naming.style === "flat") {
      parts = [...words, ...parts];
    } else {
      // Nested keeps the path as the folder and prefixes only the image's own name.
      const last = parts.length - 1;
      parts[last] = [...words, parts[last]!].join(naming.separator);
    }
  }

  let namespace = target.namespace;
  if (naming.lowercase) {
    namespace = namespace.toLowerCase();
    parts = parts.map((p) => p.toLowerCase());
  }
  const name = naming.style === "flat" ? parts.join(naming.separator) : parts.join("/");
  const reference = `${target.registry}/${namespace === "" ? "" : `${namespace}/`}${name}:${tag}`;

  try {
    parseReference(reference);
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    throw new NamingError(`cannot name ${canonical(source)} in target ${JSON.stringify(target.name)}: ${err.reason}; ${RENAME_HINT}`);
  }
  return reference;
}

/** "sha256:<hex>" -> "sha256-<hex>": ":" is not allowed in a tag. */
function digestTag(digest: string | undefined): string {
  if (digest === undefined) throw new NamingError("reference has neither tag nor digest");
  return digest.replace(":", "-");
}

/** The source path as target path parts, before the flat/nested join. */
function sourceParts(domain: string, path: string, style: "flat" | "nested", includeSourceRegistry: boolean): string[] {
  let parts = path.split("/");
  // Flat names follow `docker`'s short form; nested ones keep the canonical path.
  if (style === "flat" && domain === DOCKER_HUB && parts.length === 2 && parts[0] === "library") parts = parts.slice(1);
  return includeSourceRegistry ? [hostComponent(domain), ...parts] : parts;
}

/**
 * A registry host as one valid path component.
 * @example hostComponent("localhost:5000") // "localhost-5000"
 * @example hostComponent("[::1]:5000")     // "1-5000"
 */
export function hostComponent(domain: string): string {
  return domain
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
}

function parseRename(rename: string, lowercase: boolean): { path: string; tag?: string } {
  const colon = rename.indexOf(":");
  // Lowercase only the name: tags are case-sensitive.
  const text = lowercase ? (colon === -1 ? rename.toLowerCase() : rename.slice(0, colon).toLowerCase() + rename.slice(colon)) : rename;
  try {
    return parseRepositoryPath(text);
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    throw new NamingError(`invalid name after "=>": ${err.reason}`);
  }
}

/**
 * Expand entries without `--platform` into one platform entry per default platform
 * (`defaults.platforms`); entries with a platform, and everything when `platforms` is empty,
 * pass through. The copies keep the entry's line and column.
 * @example expandPlatforms([nginx], ["linux/amd64", "linux/arm64"]) // nginx for linux/amd64, nginx for linux/arm64
 */
export function expandPlatforms(entries: readonly ImageEntry[], platforms: readonly (Platform | string)[]): ImageEntry[] {
  if (platforms.length === 0) return [...entries];
  const parsed = platforms.map((p) => (typeof p === "string" ? parsePlatform(p) : p));
  return entries.flatMap((entry) => (entry.platform !== null ? [entry] : parsed.map((platform) => ({ ...entry, platform }))));
}

/** How an entry reads in messages: the canonical source, and its platform if any. */
function describe(entry: ImageEntry): string {
  const source = canonical(entry.source);
  return entry.platform === null ? source : `${source} for ${formatPlatform(entry.platform)}`;
}

/** Same source and platform: a repeated line, not a collision. */
function identity(entry: ImageEntry): string {
  return `${canonical(entry.source)} ${entry.platform === null ? "" : formatPlatform(entry.platform)}`;
}

/**
 * One row per (entry, target), entries in order and targets in config order. Names that
 * cannot be built and collisions (two different sources, or one source for two platforms,
 * mapping to one reference) are error diagnostics on the later line; a repeated entry (same
 * source, platform and target reference) yields no second row and no diagnostic.
 * @example planTargets(entries, config.targets, "images.txt").diagnostics[0]
 *   // images.txt:5:1: error: docker.io/bitnami/nginx:1 and quay.io/bitnami/nginx:1 (line 2) both map to ...
 */
export function planTargets(
  entries: readonly ImageEntry[],
  targets: readonly TargetConfig[],
  file = "images.txt",
): { rows: PlannedTarget[]; diagnostics: Diagnostic[] } {
  const rows: PlannedTarget[] = [];
  const diagnostics: Diagnostic[] = [];
  const owners = new Map<string, PlannedTarget>();
  const error = (entry: ImageEntry, message: string) =>
    diagnostics.push({ file, line: entry.line, column: entry.column, severity: "error", message });

  for (const entry of entries) {
    for (const target of targets) {
      let reference: string;
      try {
        reference = targetReference(entry, target);
      } catch (err) {
        if (!(err instanceof NamingError)) throw err;
        error(entry, err.message);
        continue;
      }
      const owner = owners.get(reference);
      if (owner === undefined) {
        const row = { entry, target, reference };
        owners.set(reference, row);
        rows.push(row);
      } else if (identity(owner.entry) !== identity(entry)) {
        error(
          entry,
          `${describe(entry)} and ${describe(owner.entry)} (line ${owner.entry.line}) both map to ${reference} on target ${JSON.stringify(
            target.name,
          )}; give one an explicit name with "=> NAME:TAG"`,
        );
      }
    }
  }
  return { rows, diagnostics };
}
