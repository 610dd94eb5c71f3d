import { familiar, parseReference, type ImageReference } from "../domain/reference.js";
import { noAutolinks } from "./markdown.js";
import type { SyncResult, TaskResult, TaskStatus } from "./result.js";
import { renderTagSets } from "./tag-set-summary.js";

/**
 * Bytes in decimal units, one decimal place above bytes.
 * @example humanBytes(12_345_678) // "12.3 MB"
 * @example humanBytes(999) // "999 B"
 */
export function humanBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.max(0, Math.round(bytes))} B`;
  const units = ["KB", "MB", "GB", "TB"] as const;
  let value = bytes;
  for (const [i, unit] of units.entries()) {
    value /= 1000;
    // Pick the unit after rounding, so 999_960 B reads "1.0 MB", not "1000.0 KB".
    if (Number(value.toFixed(1)) < 1000 || i === units.length - 1) return `${value.toFixed(1)} ${unit}`;
  }
  return `${bytes} B`; // unreachable: the loop returns at the last unit
}

/**
 * A wall-clock duration, short and readable in logs.
 * @example formatDuration(340) // "0.3s"
 * @example formatDuration(125_000) // "2m05s"
 * @example formatDuration(3_720_000) // "1h02m"
 */
export function formatDuration(ms: number): string {
  const safe = Math.max(0, ms);
  if (safe < 60_000) return `${(safe / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(safe / 1000);
  if (totalSeconds < 3600) {
    return `${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, "0")}s`;
  }
  const totalMinutes = Math.round(safe / 60_000);
  return `${Math.floor(totalMinutes / 60)}h${String(totalMinutes % 60).padStart(2, "0")}m`;
}

/**
 * A digest cut to its algorithm and first 12 hex digits; anything else is returned as is.
 * @example shortDigest("sha256:abcd1234ef5678...") // "sha256:abcd1234ef56"
 */
export function shortDigest(digest: string): string {
  const match = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-f0-9]{12})[a-f0-9]*$/.exec(digest);
  return match ? `${match[1]}:${match[2]}` : digest;
}

/** The one-word label and emoji of a status, as shown in summaries and comments. */
export const STATUS_LABEL: Readonly<Record<TaskStatus, string>> = {
  copied: "✅ copied",
  skipped: "⏭️ skipped",
  failed: "❌ failed",
};

function parseOrNull(reference: string): ImageReference | null {
  try {
    return parseReference(reference);
  } catch {
    return null;
  }
}

/**
 * The familiar name to re-tag a mirrored image with, or null when the source is pinned by
 * digest only (a digest cannot be a local tag).
 * @example originalName("docker.io/library/nginx:1.26") // "nginx:1.26"
 * @example originalName("ghcr.io/a/b:1@sha256:...") // "ghcr.io/a/b:1"
 */
export function originalName(source: string): string | null {
  const ref = parseOrNull(source);
  if (ref === null) return null;
  if (ref.tag === undefined) return null;
  return familiar({ domain: ref.domain, path: ref.path, tag: ref.tag });
}

/**
 * Shell commands that fetch a mirrored image and give it back its familiar name.
 * @example pullCommands({ source: "docker.io/library/nginx:1.26", target: "r.example.com/m/nginx:1.26", ... })
 *   // ["docker pull r.example.com/m/nginx:1.26", "docker tag r.example.com/m/nginx:1.26 nginx:1.26"]
 */
export function pullCommands(task: Pick<TaskResult, "source" | "target">): string[] {
  const commands = [`docker pull ${task.target}`];
  const original = originalName(task.source);
  if (original !== null && original !== task.target) commands.push(`docker tag ${task.target} ${original}`);
  return commands;
}

/**
 * Escape text for a Markdown table cell: pipes, backticks and inline markup become literal,
 * newlines become spaces, and neither links nor @-mentions come out of registry error text.
 * @example escapeCell("a|b `c`") // "a\\|b \\`c\\`"
 */
export function escapeCell(text: string): string {
  return noAutolinks(text.replace(/\r?\n|\r/g, " ").replace(/[\\`|*_[\]<>~&@]/g, (c) => `\\${c}`));
}

/**
 * Code span for a Markdown table cell; pipes are escaped (GFM splits cells on them even in
 * code), and a backtick inside lengthens the fence instead.
 * @example codeCell("a|b") // "`a\\|b`"
 */
export function codeCell(text: string): string {
  const flat = text.replace(/\r?\n|\r/g, " ").replace(/\|/g, "\\|");
  if (!flat.includes("`")) return `\`${flat}\``;
  const longest = Math.max(...(flat.match(/`+/g) ?? [""]).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return `${fence} ${flat} ${fence}`;
}

/** "3 copied, 1 skipped, 1 failed of 5" plus uploaded bytes and wall time. */
export function countsLine(result: SyncResult): string {
  const { total, copied, skipped, failed, bytes } = result.summary;
  const elapsed = Date.parse(result.finishedAt) - Date.parse(result.startedAt);
  const time = Number.isFinite(elapsed) ? ` in ${formatDuration(elapsed)}` : "";
  return `**${copied} copied, ${skipped} skipped, ${failed} failed** of ${total} · ${humanBytes(bytes)} uploaded${time}`;
}

function tableRow(task: TaskResult): string {
  const digest = task.targetDigest ?? task.sourceDigest;
  const source = task.platform === null ? codeCell(task.source) : `${codeCell(task.source)} (${escapeCell(task.platform)})`;
  const last =
    task.status === "failed"
      ? escapeCell(task.error ?? "failed without a reason")
      : pullCommands(task).map(codeCell).join("<br>");
  return [
    STATUS_LABEL[task.status],
    source,
    codeCell(task.target),
    digest === null ? "" : codeCell(shortDigest(digest)),
    task.size === null ? "—" : humanBytes(task.size),
    last,
  ].join(" | ");
}

/** Rows the step summary shows: GitHub drops a summary over 1 MiB whole, failures and all. */
const MAX_SUMMARY_ROWS = 500;

/**
 * The Markdown step summary: a heading, the counts line, and one table row per image and
 * target (the first 500), failures first so they are seen.
 */
export function renderSummary(result: SyncResult): string {
  const title = result.request === null ? "## mirrorbot sync" : `## mirrorbot sync ${escapeCell(result.request)}`;
  const lines = [title, "", countsLine(result), "", ...renderTagSets(result.tagSets)];
  if (result.tasks.length === 0) {
    lines.push("Nothing to sync.", "");
    return lines.join("\n");
  }
  // A stable sort keeps the images.txt order within each status.
  const order: Record<TaskStatus, number> = { failed: 0, copied: 1, skipped: 2 };
  const tasks = [...result.tasks].sort((a, b) => order[a.status] - order[b.status]);
  lines.push("| Status | Source | Target | Digest | Size | Pull / reason |", "| --- | --- | --- | --- | --- | --- |");
  for (const task of tasks.slice(0, MAX_SUMMARY_ROWS)) lines.push(`| ${tableRow(task)} |`);
  lines.push("");
  if (tasks.length > MAX_SUMMARY_ROWS) lines.push(`… and ${tasks.length - MAX_SUMMARY_ROWS} more rows: every task is in the mirror-result artifact (result.json).`, "");
  return lines.join("\n");
}
