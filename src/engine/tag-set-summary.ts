/**
 * The step summary's section on tag sets: what each set matched this run and which tags are
 * new since the last run (the target did not have them), so a daily run's news is visible.
 */
import type { TagSetResult } from "./result.js";
import { codeCell, escapeCell } from "./summary.js";

/** Tags a cell lists before "and N more". */
const SHOWN = 20;

function tagList(tags: readonly string[]): string {
  if (tags.length === 0) return "none";
  const more = tags.length > SHOWN ? ` and ${tags.length - SHOWN} more` : "";
  return tags.slice(0, SHOWN).map(codeCell).join(", ") + more;
}

/**
 * Markdown lines for the tag sets of a run; empty when it had none.
 * @example renderTagSets([{ rule: "nginx:{latest 2}", line: 3, tags: ["1.27.4", "1.27.3"], newTags: ["1.27.4"], ... }])
 *   // ["### Tag sets", "", "| Tag set | Matched | New since the last run |", ..., "| `nginx:{latest 2}` (line 3) | 2 of 41 tags | `1.27.4` |", ""]
 */
export function renderTagSets(sets: readonly TagSetResult[] | undefined): string[] {
  if (!sets || sets.length === 0) return [];
  const lines = ["### Tag sets", "", "| Tag set | Matched | New since the last run |", "| --- | --- | --- |"];
  for (const set of sets) {
    const where = [set.line === null ? null : `line ${set.line}`, set.platform].filter((x) => x !== null).join(", ");
    const name = `${codeCell(set.rule)}${where ? ` (${escapeCell(where)})` : ""}`;
    if (set.error !== null) {
      lines.push(`| ${name} | ❌ ${escapeCell(set.error)} | |`);
      continue;
    }
    lines.push(`| ${name} | ${set.tags.length} of ${set.available} tags | ${tagList(set.newTags)} |`);
  }
  lines.push("");
  return lines;
}
