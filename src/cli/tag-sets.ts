/**
 * What `plan` and `sync` share about tag sets: list each source repository once, expand
 * the sets into entries, and plan them together with the plain entries, so a tag set's
 * targets are checked for collisions like any line's.
 */
import { DEFAULT_CONFIG_PATH, type Config } from "../domain/config.js";
import { type Diagnostic, formatDiagnostic } from "../domain/diagnostic.js";
import type { ImageEntry } from "../domain/images-file.js";
import { planTargets, type PlannedTarget } from "../domain/naming.js";
import { formatPlatform } from "../domain/platform.js";
import { familiarName, parseReference } from "../domain/reference.js";
import { suggestTags } from "../domain/tag-rule.js";
import { expandTagSets, ruleText, type TagSetExpansion } from "../engine/expand.js";
import type { Registries } from "../engine/registries.js";
import type { TagSetResult, TaskResult } from "../engine/result.js";
import { RepositoryNotFoundError, TagLister } from "../engine/tag-list.js";
import type { SyncTask } from "../engine/tasks.js";

/** Plain rows and tag sets, expanded and planned together. */
export interface ExpandedPlan {
  rows: PlannedTarget[];
  expansions: TagSetExpansion[];
  /** Problems found online: unknown repositories, sets over the cap, collisions of expanded tags. */
  diagnostics: Diagnostic[];
}

/** A lister over the run's registry clients: one listing per repository per run. */
export function tagLister(registries: Registries): TagLister {
  return new TagLister((registry) => registries.get(registry).client);
}

/**
 * Expand `tagSets` and plan their entries after `rows`' entries. Collisions already among
 * `rows` were reported offline (`known`) and are not repeated.
 */
export async function expandPlan(
  rows: readonly PlannedTarget[],
  tagSets: readonly ImageEntry[],
  config: Config,
  lister: TagLister,
  options: { file: string; configFile?: string; known?: readonly Diagnostic[] },
): Promise<ExpandedPlan> {
  if (tagSets.length === 0) return { rows: [...rows], expansions: [], diagnostics: [] };
  const expanded = await expandTagSets(tagSets, {
    listTags: (source) => lister.list(source),
    maxTagsPerRule: config.policy.maxTagsPerRule,
    file: options.file,
    configFile: options.configFile ?? DEFAULT_CONFIG_PATH,
  });
  const plain = [...new Set(rows.map((r) => r.entry))];
  const planned = planTargets([...plain, ...expanded.entries], config.targets, options.file);
  const known = new Set((options.known ?? []).map(formatDiagnostic));
  const fresh = planned.diagnostics.filter((d) => !known.has(formatDiagnostic(d)));
  return { rows: planned.rows, expansions: expanded.expansions, diagnostics: [...expanded.diagnostics, ...fresh] };
}

/**
 * For every task a tag set produced, whether its target tag is new: the target repository's
 * tag list (one listing per repository, before anything is copied) does not have it.
 * A repository the target does not know yet makes every tag new; one that cannot be listed
 * leaves its tasks unmarked.
 */
export async function newTargetTags(tasks: readonly SyncTask[], lister: TagLister): Promise<Map<number, boolean>> {
  const out = new Map<number, boolean>();
  await Promise.all(
    tasks
      .filter((t) => t.entry.rule !== undefined)
      .map(async (task) => {
        let tags: string[];
        try {
          tags = await lister.list({ domain: task.target.registry, path: task.targetRepo });
        } catch (err) {
          // Not knowing what is new must not stop a copy: the copy reports its own errors.
          if (!(err instanceof RepositoryNotFoundError)) return;
          tags = [];
        }
        out.set(task.id, !tags.includes(task.targetTag));
      }),
  );
  return out;
}

/** Results with `rule` and `new` set on tasks a tag set produced. */
export function markTagSetTasks(results: readonly TaskResult[], tasks: readonly SyncTask[], isNew: ReadonlyMap<number, boolean>): TaskResult[] {
  const byTarget = new Map(tasks.map((t) => [t.targetReference, t]));
  return results.map((result) => {
    const task = byTarget.get(result.target);
    if (task?.entry.rule === undefined) return result;
    const fresh = isNew.get(task.id);
    return { ...result, rule: ruleText(task.entry), ...(fresh === undefined ? {} : { new: fresh }) };
  });
}

/** The `tagSets` part of result.json: each set's tags this run and which of them are new. */
export function tagSetResults(expansions: readonly TagSetExpansion[], results: readonly TaskResult[], lineOf: (entry: ImageEntry) => number | null): TagSetResult[] {
  return expansions.map((x) => {
    const platform = x.entry.platform === null ? null : formatPlatform(x.entry.platform);
    const fresh = new Set(
      results.filter((r) => r.rule === x.rule && r.platform === platform && r.new === true).map((r) => parseReference(r.source).tag ?? ""),
    );
    return { line: lineOf(x.entry), rule: x.rule, platform, tags: x.tags, newTags: x.tags.filter((t) => fresh.has(t)), available: x.available, error: x.error };
  });
}

/**
 * Failed plain tasks whose source tag is not in its repository's tag list get the closest
 * existing tags appended to their error ("; did you mean 2.346?"). Only failures pay the
 * listing; a repository that cannot be listed leaves the error as it was.
 */
export async function withSuggestions(results: readonly TaskResult[], tasks: readonly SyncTask[], lister: TagLister): Promise<TaskResult[]> {
  const byTarget = new Map(tasks.map((t) => [t.targetReference, t]));
  return Promise.all(
    results.map(async (result) => {
      const task = byTarget.get(result.target);
      const tag = task?.source.tag;
      if (!task || result.status !== "failed" || result.error === null || tag === undefined || task.source.digest !== undefined) return result;
      let tags: string[];
      try {
        tags = await lister.list(task.source);
      } catch {
        return result; // the copy's own error already says why the source could not be read
      }
      if (tags.includes(tag)) return result;
      const near = suggestTags(tag, tags);
      const hint = near.length === 0 ? `; ${familiarName(task.source)} has no tag ${JSON.stringify(tag)}` : `; did you mean ${orList(near.map((t) => `${familiarName(task.source)}:${t}`))}?`;
      return { ...result, error: result.error + hint };
    }),
  );
}

/** "a", "a or b", "a, b or c". */
export function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/** The tag set an expanded entry came from (itself for a plain entry), to find its line. */
export function tagSetOf(entry: ImageEntry): ImageEntry {
  return entry.rule === undefined ? entry : { ...entry, source: { domain: entry.source.domain, path: entry.source.path } };
}
