/**
 * Expansion of tag sets (`nginx:{semver ^1.26}`) into ordinary entries, one per matched tag,
 * before planning: the engine then copies them like any other line. Every run expands again,
 * so a new upstream tag is picked up by the next scheduled run without anyone editing a file.
 * A set matching more than `policy.maxTagsPerRule` is an error on its line, never cut short.
 */
import type { TargetConfig } from "../domain/config.js";
import type { Diagnostic } from "../domain/diagnostic.js";
import type { ImageEntry } from "../domain/images-file.js";
import { NamingError, targetReference } from "../domain/naming.js";
import { canonical, familiarName, repository } from "../domain/reference.js";
import { formatTagRule, matchTags } from "../domain/tag-rule.js";

/** What one tag set matched in its repository. */
export interface TagSetExpansion {
  /** The tag set as parsed (after platform expansion: one per platform). */
  entry: ImageEntry;
  /** "nginx:{semver ^1.26}": the repository in Docker's short form and the rule. */
  rule: string;
  /** Matched tags, newest first; empty when `error` is set. */
  tags: string[];
  /** How many tags the repository has. */
  available: number;
  /** Why the set was not expanded (unknown repository, over the cap, registry error), or null. */
  error: string | null;
}

/** How expansion reads tags and limits sets. */
export interface ExpandOptions {
  /** Every tag of the repository; throws when it cannot be listed. */
  listTags: (source: ImageEntry["source"]) => Promise<string[]>;
  maxTagsPerRule: number;
  /** Named in diagnostics, e.g. "images.txt". */
  file: string;
  /** Named in the cap's error, e.g. ".github/mirrorbot.yml". */
  configFile: string;
  /** How many matches the cap's error shows. Default 5. */
  shown?: number;
}

/** Matches a cap error lists, so the reader sees what the set catches. */
const SHOWN_MATCHES = 5;

/** "nginx:{semver ^1.26}" for messages and `plan --json`. */
export function ruleText(entry: ImageEntry): string {
  return `${familiarName(entry.source)}:${formatTagRule(entry.rule!)}`;
}

/**
 * Expand tag sets into one entry per matched tag (each keeps its line, platform, rename and
 * rule). A set whose repository cannot be listed or that matches more than the cap is an
 * error diagnostic on its line and adds no entry; one that matches nothing is a warning.
 * Sets naming the same repository list it once when `listTags` caches (see TagLister).
 */
export async function expandTagSets(
  tagSets: readonly ImageEntry[],
  options: ExpandOptions,
): Promise<{ entries: ImageEntry[]; expansions: TagSetExpansion[]; diagnostics: Diagnostic[] }> {
  const shown = options.shown ?? SHOWN_MATCHES;
  const diagnostics: Diagnostic[] = [];
  const entries: ImageEntry[] = [];
  const expansions = await Promise.all(
    tagSets.map(async (entry): Promise<TagSetExpansion> => {
      const rule = ruleText(entry);
      const at = (severity: Diagnostic["severity"], message: string) =>
        diagnostics.push({ file: options.file, line: entry.line, column: entry.column, severity, message });
      let available: string[];
      try {
        available = await options.listTags(entry.source);
      } catch (err) {
        const message = `cannot list the tags of ${repository(entry.source)}: ${err instanceof Error ? err.message : String(err)}`;
        at("error", message);
        return { entry, rule, tags: [], available: 0, error: message };
      }
      const tags = matchTags(entry.rule!, available);
      if (tags.length > options.maxTagsPerRule) {
        const first = tags.slice(0, shown).join(", ");
        const message =
          `${JSON.stringify(rule)} matches ${tags.length} tags, more than policy.maxTagsPerRule (${options.maxTagsPerRule}) in ${options.configFile}: ` +
          `${first}, …; narrow the set (e.g. add "latest ${options.maxTagsPerRule}") or raise the limit`;
        at("error", message);
        return { entry, rule, tags: [], available: available.length, error: message };
      }
      if (tags.length === 0) at("warning", `${JSON.stringify(rule)} matches none of the ${available.length} tags of ${repository(entry.source)}`);
      return { entry, rule, tags, available: available.length, error: null };
    }),
  );
  for (const x of expansions) {
    for (const tag of x.tags) entries.push({ ...x.entry, source: { domain: x.entry.source.domain, path: x.entry.source.path, tag } });
  }
  return { entries, expansions, diagnostics };
}

/**
 * Offline naming check of tag sets: a tag set's target names differ only by tag, so one
 * probe tag tells whether the name can be built in every target.
 */
export function tagSetNamingDiagnostics(tagSets: readonly ImageEntry[], targets: readonly TargetConfig[], file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const entry of tagSets) {
    for (const target of targets) {
      try {
        targetReference({ ...entry, source: { ...entry.source, tag: "latest" } }, target);
      } catch (err) {
        if (!(err instanceof NamingError)) throw err;
        const message = err.message.replace(canonical({ ...entry.source, tag: "latest" }), ruleText(entry));
        const key = `${entry.line}\u0000${message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ file, line: entry.line, column: entry.column, severity: "error", message });
      }
    }
  }
  return out;
}
