/**
 * Validate a request (images from a `/sync` line or an issue form) into a plan. Every image
 * goes through the images.txt parser, the platform parser, the source policy and the naming
 * collision check against the current images.txt and the rest of the request. One invalid
 * image rejects the whole request; the plan lists every problem so one reply can name them.
 */
import type { Config } from "../domain/config.js";
import { entryKey, isTagSet, parseEntryLine, parseImagesFile, type ImageEntry } from "../domain/images-file.js";
import { formatTagRule } from "../domain/tag-rule.js";
import { tagSetNamingDiagnostics } from "../engine/expand.js";
import { expandPlatforms, planTargets, type PlannedTarget } from "../domain/naming.js";
import { formatPlatform, parsePlatform, PlatformError, type Platform } from "../domain/platform.js";
import { policyViolation, requestSizeViolation } from "../domain/policy.js";
import { canonical, familiar, parseReference, type ImageReference } from "../domain/reference.js";

/** One image as the requester wrote it, with the platforms their line asked for. */
export interface RequestItem {
  /** images.txt syntax, e.g. "nginx:1.26" or "--platform=linux/arm64 mysql:8.0". */
  readonly text: string;
  /** Platforms to copy separately (from `--platform` or the form); an entry's own wins. */
  readonly platforms: readonly string[];
}

/** One reason the request is refused; `image` is the item it is about, when there is one. */
export interface Problem {
  readonly image: string | null;
  readonly message: string;
}

/** A valid request. */
export interface RequestPlan {
  /** The request's lines, re-serialized from parsed entries: what is committed and dispatched. */
  readonly lines: string[];
  /** The subset of `lines` images.txt does not have yet. */
  readonly newLines: string[];
  /** Every (image, platform, target) the run will produce, for the reply. */
  readonly rows: PlannedTarget[];
  /** Tag sets of the request (after platform expansion), not yet expanded into `rows`. */
  readonly tagSets?: readonly ImageEntry[];
}

export type Validation = { readonly ok: true; readonly plan: RequestPlan } | { readonly ok: false; readonly problems: Problem[] };

/**
 * Docker's short name of `ref` when reading it back gives the same image, else the full name.
 * The short form of a Docker Hub path whose first part looks like a host is another registry:
 * "docker.io/evil.com/x:1" shortens to "evil.com/x:1", which names evil.com.
 * @example shortReference(parseReference("docker.io/library/nginx:1.26")) // "nginx:1.26"
 * @example shortReference(parseReference("docker.io/evil.com/x:1")) // "docker.io/evil.com/x:1"
 */
export function shortReference(ref: ImageReference): string {
  const short = familiar(ref);
  const full = canonical(ref);
  try {
    return canonical(parseReference(short)) === full ? short : full;
  } catch {
    return full;
  }
}

/**
 * The images.txt line of an entry: Docker's short name where it is unambiguous, so the file
 * stays readable and the line names exactly the image that was checked.
 * @example requestLine(parseEntryLine("docker.io/library/nginx:1.26 --platform=linux/arm64/v8").entry!)
 *   // "--platform=linux/arm64 nginx:1.26"
 */
export function requestLine(entry: Pick<ImageEntry, "source" | "platform" | "rename" | "rule">): string {
  const platform = entry.platform ? `--platform=${formatPlatform(entry.platform)} ` : "";
  return platform + sourceLine(entry) + (entry.rename !== null ? ` => ${entry.rename}` : "");
}

/** The short source, or for a tag set its short repository and rule: "nginx:{semver ^1.26}". */
function sourceLine(entry: Pick<ImageEntry, "source" | "rule">): string {
  if (!isTagSet(entry)) return shortReference(entry.source);
  // The repository's short form is the one that reads back as the same repository.
  const probe = shortReference({ ...entry.source, tag: "latest" });
  return `${probe.slice(0, -":latest".length)}:${formatTagRule(entry.rule!)}`;
}

/** How a request is checked beyond its images. */
export interface ValidateOptions {
  /**
   * False for lines accepted before (`/approve`, `/retry`): they are stored one per platform,
   * so counting them again would refuse a request that was within the limit when made.
   */
  readonly checkSize?: boolean;
}

/** Validate `items` against the config and the current images.txt text; `readProblems` come from reading the command. */
export function validateRequest(
  items: readonly RequestItem[],
  config: Config,
  imagesText: string,
  readProblems: readonly string[] = [],
  options: ValidateOptions = {},
): Validation {
  const problems: Problem[] = readProblems.map((message) => ({ image: null, message }));
  if (items.length === 0) problems.push({ image: null, message: "no images given; write one image per line, e.g. `nginx:1.26`" });
  const sizeAt = problems.length;

  const lines: string[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const entries = readItem(item, problems);
    for (const entry of entries) {
      const violation = policyViolation(entry.source, config.policy);
      if (violation) problems.push({ image: item.text, message: violation });
      const key = entryKey(entry);
      if (seen.has(key)) continue;
      seen.add(key);
      lines.push(requestLine(entry));
    }
  }
  // Counted after --platform lists are expanded: each platform is an image to copy and a line to commit.
  const size = options.checkSize === false ? null : requestSizeViolation(Math.max(items.length, lines.length), config.policy);
  if (size) problems.splice(sizeAt, 0, { image: null, message: size });
  // Collisions are checked among the entries that parsed, so one reply lists everything.
  const entries = lines.map((line, i) => parseEntryLine(line, i + 1, "request").entry!);
  const existing = parseImagesFile(imagesText, config.app.imagesFile).entries;
  const present = new Set(existing.map(entryKey));
  const added = entries.filter((e) => !present.has(entryKey(e)));
  problems.push(...collisions(entries, added, existing, config));
  if (problems.length > 0) return { ok: false, problems };

  // A tag set's rows come from its expansion (see tag-check.ts); here it has no tags yet.
  const all = expandPlatforms(entries, config.defaults.platforms);
  const rows = planTargets(all.filter((e) => !isTagSet(e)), config.targets, "request").rows;
  return { ok: true, plan: { lines, newLines: added.map((e) => lines[e.line - 1]!), rows, tagSets: all.filter(isTagSet) } };
}

/** The entries one item stands for (one per extra platform), pushing its problems. */
function readItem(item: RequestItem, problems: Problem[]): ImageEntry[] {
  const { entry, diagnostics } = parseEntryLine(item.text, 1, "request");
  for (const d of diagnostics) if (d.severity === "error") problems.push({ image: item.text, message: d.message });
  const platforms: Platform[] = [];
  for (const text of item.platforms) {
    try {
      platforms.push(parsePlatform(text));
    } catch (err) {
      if (!(err instanceof PlatformError)) throw err;
      problems.push({ image: item.text, message: err.message });
    }
  }
  if (!entry) {
    if (diagnostics.length === 0) problems.push({ image: item.text, message: "no image on this line" });
    return [];
  }
  if (entry.platform !== null || platforms.length === 0) return [entry];
  return platforms.map((platform) => ({ ...entry, platform }));
}

/**
 * Naming collisions the request would cause: within the request, and between an added entry
 * and images.txt. Problems already in images.txt are not the requester's to fix.
 */
function collisions(entries: ImageEntry[], added: ImageEntry[], existing: ImageEntry[], config: Config): Problem[] {
  const { platforms } = config.defaults;
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const push = (entry: ImageEntry, message: string) => {
    const key = `${entry.line}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ image: requestLine(entry), message });
  };
  // Tag sets are named per tag once expanded; offline, only their naming can be checked.
  const sets = expandPlatforms(entries.filter(isTagSet), platforms);
  for (const d of tagSetNamingDiagnostics(sets, config.targets, "request")) push(entries[d.line - 1]!, d.message);
  const plain = entries.filter((e) => !isTagSet(e));
  const inRequest = planTargets(expandPlatforms(plain, platforms), config.targets, "request");
  // Lines in the request are numbered by position; the owner is named by its image already.
  for (const d of inRequest.diagnostics) push(entries[d.line - 1]!, d.message.replace(/ \(line \d+\)/, ""));

  const next = existing.reduce((max, e) => Math.max(max, e.line), 0) + 1;
  const base = expandPlatforms(existing.filter((e) => !isTagSet(e)), platforms);
  for (const entry of added.filter((e) => !isTagSet(e))) {
    const probe = { ...entry, line: next };
    const { diagnostics } = planTargets([...base, ...expandPlatforms([probe], platforms)], config.targets, config.app.imagesFile);
    for (const d of diagnostics) {
      if (d.line === next) push(entry, d.message.replace(/ \(line (\d+)\)/, ` (${config.app.imagesFile} line $1)`));
    }
  }
  return problems;
}

/**
 * A plan for lines that are already accepted (a merged pull request): no validation, only
 * the target names for the reply; lines that do not parse are dropped. Nothing is new to images.txt.
 */
export function planLines(lines: readonly string[], config: Config): RequestPlan {
  const entries = lines.flatMap((line, i) => parseEntryLine(line, i + 1, "request").entry ?? []);
  const all = expandPlatforms(entries, config.defaults.platforms);
  const rows = planTargets(all.filter((e) => !isTagSet(e)), config.targets, "request").rows;
  return { lines: entries.map(requestLine), newLines: [], rows, tagSets: all.filter(isTagSet) };
}
