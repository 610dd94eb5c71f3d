/**
 * Every text the app shows people: status comments, replies, commit messages, pull request
 * bodies and check run output. Kept in one place so tests can assert them exactly and so
 * user-supplied text is escaped the same way everywhere (in code spans, which GitHub never
 * turns into mentions or links).
 */
import type { ConfigError } from "../domain/config.js";
import { formatDiagnostic, type Diagnostic } from "../domain/diagnostic.js";
import { capText, escapeHidden } from "../domain/display.js";
import type { ImageEntry } from "../domain/images-file.js";
import type { PlannedTarget } from "../domain/naming.js";
import { formatPlatform } from "../domain/platform.js";
import { parseReference } from "../domain/reference.js";
import { rowLink } from "../catalog/row-id.js";
import { noAutolinks } from "../engine/markdown.js";
import type { SyncResult, TaskResult } from "../engine/result.js";
import type { RunLink } from "./github/dispatch.js";
import { requestLine, shortReference, type Problem } from "./request.js";
import { requestMarker, stateComment, type RequestState } from "./state.js";

/** What a status comment shows beside its state. */
export type StatusView =
  | { readonly kind: "rejected"; readonly problems: readonly Problem[] }
  | { readonly kind: "limited"; readonly limit: number; readonly retryAfterMs: number }
  | { readonly kind: "awaiting-approval"; readonly prUrl: string; readonly rows: readonly PlannedTarget[] }
  | { readonly kind: "received" }
  | { readonly kind: "queued"; readonly rows: readonly PlannedTarget[] }
  | { readonly kind: "result"; readonly result: SyncResult; readonly unreported?: readonly string[]; readonly catalogUrl?: string | null }
  | { readonly kind: "run-failed"; readonly conclusion: string | null; readonly reason: string | null }
  | { readonly kind: "not-started"; readonly reason: string; readonly hint?: string }
  | { readonly kind: "blocked"; readonly stage: "record" | "dispatch" | "propose"; readonly problem: SetupText; readonly done: string | null }
  | { readonly kind: "unreadable"; readonly conclusion: string | null; readonly problem: SetupText };

/** A missing permission or setting, as the status comment explains it (github/setup-problem.ts). */
export interface SetupText {
  /** What GitHub refused, e.g. "starting the mirror workflow". */
  readonly doing: string;
  /** What is missing, as one clause. */
  readonly what: string;
  /** How a maintainer fixes it, as one instruction. */
  readonly fix: string;
}

const MAX_SHOWN = 120;
/** A rejected request lists this many problems, then how many more: a comment holds at most 65,536 characters. */
const MAX_PROBLEMS_SHOWN = 20;

/**
 * User or API text as an inline code span: backticks and line breaks cannot break out of it,
 * long text is cut, and invisible or bidi characters show as `\u{…}`.
 * @example code("nginx:1.26") // "`nginx:1.26`"
 */
export function code(text: string): string {
  const clean = text.replace(/[\r\n\t]+/g, " ").replace(/`/g, "'");
  return `\`${escapeHidden(Array.from(clean).length > MAX_SHOWN ? capText(clean, MAX_SHOWN - 1) : clean)}\``;
}

/** {@link code} for a table cell: a pipe would end the cell even inside a code span. */
export function cell(text: string): string {
  return code(text).replace(/\|/g, "\\|");
}

/**
 * A message of ours that quotes user input in JSON-style double quotes: the quoted parts
 * become code spans (no mentions, links or images can hide in them), code spans stay, and
 * Markdown in the rest is escaped.
 * @example prose('invalid reference "nginx::1": bad tag') // 'invalid reference `nginx::1`: bad tag'
 */
export function prose(message: string): string {
  return message
    .split(/("(?:[^"\\]|\\.)*"|`[^`\n]*`)/)
    .map((part, i) => {
      if (i % 2 === 0) return noAutolinks(escapeHidden(part).replace(/[\\[\]<>*_~!|@#]/g, (c) => `\\${c}`));
      if (part.startsWith("`")) return part; // already a code span of ours
      try {
        return code(String(JSON.parse(part)));
      } catch {
        return code(part.slice(1, -1));
      }
    })
    .join("");
}

/** "@login"; logins are [A-Za-z0-9-] (bots add "[bot]"), so they need no escaping. */
function mention(login: string): string {
  return `@${login.replace(/[^A-Za-z0-9\-[\]]/g, "")}`;
}

/** How an entry is named in replies: its unambiguous short name and its platform. */
export function imageLabel(entry: Pick<ImageEntry, "source" | "platform" | "rename">): string {
  const platform = entry.platform ? ` (${formatPlatform(entry.platform)})` : "";
  return shortReference(entry.source) + platform;
}

/** Bytes the way `docker images` shows them (SI units). @example formatSize(67_300_000) // "67.3 MB" */
export function formatSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** "sha256:" and the first 12 hex digits. @example shortDigest("sha256:0123456789abcdef…") // "sha256:0123456789ab" */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(":");
  return colon === -1 ? digest.slice(0, 12) : digest.slice(0, colon + 13);
}

/** The whole status comment of a request: hidden marker and state, then what people read. */
export function renderStatus(state: RequestState, view: StatusView): string {
  return [requestMarker(state.request), stateComment(state), statusText(state, view)].join("\n");
}

function statusText(state: RequestState, view: StatusView): string {
  const id = code(state.request);
  switch (view.kind) {
    case "rejected":
      return [
        `**Mirror request ${id} was not accepted.** Nothing was committed and nothing was started.`,
        "",
        `${mention(state.requester.login)}, please fix ${view.problems.length === 1 ? "this problem" : "these problems"} and ask again:`,
        "",
        ...capped(view.problems, MAX_PROBLEMS_SHOWN, (p) => [`- ${p.image !== null ? `${code(p.image)}: ` : ""}${prose(p.message)}`], (n) => `- … and ${n} more`),
      ].join("\n");
    case "limited":
      return [
        `**Mirror request ${id} was not started.**`,
        "",
        `${mention(state.requester.login)}, you have already made ${view.limit} mirror request${view.limit === 1 ? "" : "s"} in the last hour, the most this repository allows (\`policy.requestsPerHour\`). Please ask again in ${minutes(view.retryAfterMs)}.`,
      ].join("\n");
    case "awaiting-approval":
      return [
        `**Mirror request ${id} is waiting for approval.**`,
        "",
        `${mention(state.requester.login)}, thanks! The images are proposed in ${view.prUrl}. A maintainer can merge that pull request, or comment \`/approve\` here, to start mirroring.`,
        "",
        targetTable(view.rows),
      ].join("\n");
    case "received":
      return `**Mirror request ${id} was received.** Recording the images and starting the run; this comment will link the run.`;
    case "queued":
      return [
        `**Mirror request ${id} is queued.** ${runText(state.run)}`,
        "",
        targetTable(view.rows),
      ].join("\n");
    case "result":
      return resultText(state, view.result, view.unreported ?? [], view.catalogUrl ?? null);
    case "not-started":
      return [
        `**Mirror request ${id} could not be started:** ${prose(view.reason)}.`,
        "",
        `${view.hint ? `${prose(view.hint)} ` : ""}Comment \`/retry\` to try again.`,
      ].join("\n");
    case "blocked":
      return blockedText(id, view.stage, view.problem, view.done);
    case "unreadable":
      return [
        `**Mirror request ${id} finished, but its result could not be read.** ${runText(state.run)}`,
        "",
        `The run ended with ${view.conclusion ? code(view.conclusion) : "no conclusion"}, so the images were most likely mirrored; ${prose(view.problem.doing)} failed because ${prose(view.problem.what)}. ` +
          `A maintainer needs to ${prose(view.problem.fix)}, then re-run the run's \`report\` job to report the result here. \`/retry\` is not needed and would not help until then.`,
      ].join("\n");
    case "run-failed":
      return [
        `**Mirror request ${id} failed before it reported a result.** ${runText(state.run)}`,
        "",
        `The run ended with ${view.conclusion ? code(view.conclusion) : "no conclusion"}${view.reason ? ` (${prose(view.reason)})` : ""}. Comment \`/retry\` to try again.`,
      ].join("\n");
  }
}

/** Why a request stopped at a missing permission or setting, what stays done, and whether `/retry` helps. */
function blockedText(id: string, stage: "record" | "dispatch" | "propose", problem: SetupText, done: string | null): string {
  const heading =
    stage === "dispatch"
      ? `**Mirror request ${id} was recorded but not started:**`
      : stage === "propose"
        ? `**Mirror request ${id} could not be proposed for approval:**`
        : `**Mirror request ${id} could not be started:**`;
  const left =
    stage === "dispatch"
      ? `${done ? `${prose(done)}, but no` : "No"} mirror run was started (a commit by the bot starts none by itself).`
      : stage === "propose"
        ? "Nothing was left behind: the pull request's branch was deleted."
        : "Nothing was committed and nothing was started.";
  const again = stage === "dispatch" ? "to start the run" : stage === "propose" ? "to propose the images again" : "to try again";
  return [
    `${heading} ${prose(problem.doing)} failed because ${prose(problem.what)}.`,
    "",
    `${left} A maintainer needs to ${prose(problem.fix)}. After that, comment \`/retry\` ${again}; until then \`/retry\` fails the same way.`,
  ].join("\n");
}

function runText(run: RunLink | null): string {
  return run ? `Run: ${run.url}` : "The run will be linked here when it finishes.";
}

function minutes(ms: number): string {
  const m = Math.max(1, Math.ceil(ms / 60_000));
  return `${m} minute${m === 1 ? "" : "s"}`;
}

/** Rows of the "Will be available as" table; a tag set can add dozens. */
const MAX_TARGET_ROWS = 30;
/** Tags a tag set's line names before "and N more". */
const MAX_TAGS_SHOWN = 10;

function targetTable(rows: readonly PlannedTarget[]): string {
  return [
    ...tagSetLines(rows),
    "| Image | Will be available as |",
    "| --- | --- |",
    ...capped(rows, MAX_TARGET_ROWS, (r) => [`| ${cell(imageLabel(r.entry))} | ${cell(r.reference)} |`], (n) => `| … and ${n} more | |`),
  ].join("\n");
}

/**
 * One line per tag set among the rows: the tags it matched, newest first.
 * @example "`nginx:{semver ~1.27}` matches 2 tags: `1.27.3`, `1.27.2`."
 */
function tagSetLines(rows: readonly PlannedTarget[]): string[] {
  const sets = new Map<string, string[]>();
  for (const r of rows) {
    if (!r.entry.rule || r.entry.source.tag === undefined) continue;
    const rule = requestLine({ ...r.entry, source: { domain: r.entry.source.domain, path: r.entry.source.path }, platform: null, rename: null });
    const tags = sets.get(rule) ?? sets.set(rule, []).get(rule)!;
    if (!tags.includes(r.entry.source.tag)) tags.push(r.entry.source.tag);
  }
  if (sets.size === 0) return [];
  const lines = [...sets].map(([rule, tags]) => {
    const shown = tags.slice(0, MAX_TAGS_SHOWN).map(code).join(", ");
    const more = tags.length > MAX_TAGS_SHOWN ? ` and ${tags.length - MAX_TAGS_SHOWN} more` : "";
    return `${code(rule)} matches ${tags.length} tag${tags.length === 1 ? "" : "s"}: ${shown}${more}.`;
  });
  return [...lines, ""];
}

/** A task's source in Docker's short form, and the name to `docker tag` back to (none for digest-only sources). */
function sourceNames(task: TaskResult): { label: string; tagBack: string | null } {
  try {
    const ref = parseReference(task.source);
    const short = shortReference(ref);
    return { label: short + (task.platform ? ` (${task.platform})` : ""), tagBack: ref.tag !== undefined ? short.replace(/@.*$/, "") : null };
  } catch {
    return { label: task.source, tagBack: null };
  }
}

const STATUS_WORDS: Readonly<Record<TaskResult["status"], string>> = {
  copied: "copied",
  skipped: "up to date",
  failed: "**failed**",
};

/** Rows of each list in a result comment; a comment holds at most 65,536 characters. */
const MAX_RESULT_ROWS = 100;

/** The lines of the first `limit` items, then one saying how many more: a comment has a size limit. */
function capped<T>(items: readonly T[], limit: number, render: (item: T) => string[], more: (n: number) => string): string[] {
  const lines = items.slice(0, limit).flatMap(render);
  return items.length > limit ? [...lines, more(items.length - limit)] : lines;
}

/** An image's cell: a link to its row on the catalogue page when there is one. */
function imageCell(task: TaskResult, catalogUrl: string | null): string {
  const label = cell(sourceNames(task).label);
  if (catalogUrl === null) return label;
  // Parentheses would end a Markdown link's address; encodeURIComponent leaves them.
  const href = rowLink(catalogUrl, task.source, task.platform).replace(/[()]/g, (c) => (c === "(" ? "%28" : "%29"));
  return `[${label}](${href})`;
}

function resultText(state: RequestState, result: SyncResult, unreported: readonly string[], catalogUrl: string | null): string {
  const { summary } = result;
  // The app's verdict (every requested line mirrored), not the run's own count alone.
  const heading = state.status === "done" ? "is done" : "finished with failures";
  const lines = [
    `**Mirror request ${code(state.request)} ${heading}:** ${summary.copied} copied, ${summary.skipped} already up to date, ${summary.failed} failed. ${runText(state.run)}`,
    "",
    "| Image | Pull from | Status | Digest | Size |",
    "| --- | --- | --- | --- | --- |",
    ...capped(
      result.tasks,
      MAX_RESULT_ROWS,
      (task) => {
        const digest = task.targetDigest ?? task.sourceDigest;
        const ok = task.status !== "failed";
        return [
          `| ${imageCell(task, catalogUrl)} | ${cell(task.target)} | ${STATUS_WORDS[task.status]} | ${ok && digest ? cell(shortDigest(digest)) : "-"} | ${ok && task.size !== null ? formatSize(task.size) : "-"} |`,
        ];
      },
      (n) => `| … and ${n} more | | | | |`,
    ),
  ];
  const usable = result.tasks.filter((t) => t.status !== "failed");
  if (usable.length > 0) {
    lines.push("", "To use them under their original names:", "", "```sh");
    lines.push(
      ...capped(
        usable,
        MAX_RESULT_ROWS,
        (task) => {
          const { tagBack } = sourceNames(task);
          return tagBack ? [`docker pull ${task.target}`, `docker tag ${task.target} ${tagBack}`] : [`docker pull ${task.target}`];
        },
        (n) => `# … and ${n} more: see the run's summary`,
      ),
    );
    lines.push("```");
  }
  const failed = result.tasks.filter((t) => t.status === "failed");
  if (failed.length > 0 || unreported.length > 0) {
    lines.push("", "Failed:", "");
    lines.push(...capped(failed, MAX_RESULT_ROWS, (task) => [`- ${code(sourceNames(task).label)} to ${code(task.target)}: ${code(task.error ?? "no reason given")}`], (n) => `- … and ${n} more`));
    lines.push(...capped(unreported, MAX_RESULT_ROWS, (line) => [`- ${code(line)}: the run reported nothing for it`], (n) => `- … and ${n} more`));
    lines.push("", "Comment `/retry` to try the failed images again.");
  }
  return lines.join("\n");
}

/** Reply when `.github/mirrorbot.yml` does not validate: each broken key, nothing done. */
export function renderConfigError(error: ConfigError): string {
  return [
    `mirrorbot did nothing: ${code(error.file)} has ${error.issues.length === 1 ? "a problem" : "problems"}. A maintainer needs to fix:`,
    "",
    ...error.issues.map((issue) => {
      const keyed = /^([A-Za-z_$][\w$]*(?:\[\d+\]|\.[A-Za-z_$][\w$]*)*): (.*)$/s.exec(issue);
      return keyed ? `- ${code(keyed[1]!)}: ${prose(keyed[2]!)}` : `- ${prose(issue)}`;
    }),
  ].join("\n");
}

/** Reply to `/approve` from someone who may not approve. */
export function renderApproveDenied(login: string, need: string): string {
  return `${mention(login)}, only people with ${code(need)} permission or more on this repository can approve mirror requests.`;
}

/** Reply to `/approve` when no request (or not the one named) waits for approval. */
export function renderNothingToApprove(login: string, request: string | null = null): string {
  const which = request === null ? "no mirror request" : `no mirror request ${code(request)}`;
  return `${mention(login)}, ${which} on this issue is waiting for approval.`;
}

/** Reply to a bare `/approve` when several requests wait: which ones, and how to pick one. */
export function renderApproveWhich(login: string, pending: readonly RequestState[]): string {
  return [
    `${mention(login)}, ${pending.length} mirror requests on this issue are waiting for approval. Approve the one you reviewed with \`/approve <request>\`:`,
    "",
    ...pending.map((s) => {
      const count = `${s.images.length} image${s.images.length === 1 ? "" : "s"}`;
      return `- \`/approve ${s.request}\`: ${count}${s.pr !== null ? ` proposed in #${s.pr}` : ""}, asked by ${code(s.requester.login)}`;
    }),
  ].join("\n");
}

/** Reply to `/retry` when there is nothing to retry, and why. */
export function renderNothingToRetry(login: string, why: "none" | "running" | "succeeded"): string {
  const reason = {
    none: "there is no earlier mirror request on this issue",
    running: "the last mirror request is still running; its results will appear in its status comment",
    succeeded: "every image of the last mirror request was mirrored",
  }[why];
  return `${mention(login)}, there is nothing to retry: ${reason}.`;
}

/** Comment on a bot pull request closed because a maintainer approved it with `/approve`. */
export function renderApprovedClose(approver: string, issue: number, commitUrl: string | null): string {
  const where = commitUrl ? `committed to the default branch in ${commitUrl}` : "already in the images file";
  return `Approved by ${mention(approver)} in #${issue}: the images are ${where}. Closing this pull request; the mirror status is in #${issue}.`;
}

/** Comment on a merged bot pull request: the status lives in the issue. */
export function renderMergedReply(issue: number, count: number): string {
  if (count === 0) return `Merged, but none of the images requested in #${issue} is in the images file now; nothing to mirror.`;
  return `Merged. Mirroring ${count} image${count === 1 ? "" : "s"}; the status is in #${issue}.`;
}

/** What a commit that adds lines to images.txt says: the images, the issue, who asked. */
export function commitMessage(options: {
  file: string;
  added: readonly string[];
  issue: number;
  request: string;
  requester: { login: string; id: number } | null;
}): string {
  const { added, issue, request, requester } = options;
  const first = added[0] ?? "";
  const subject = added.length === 1 ? `Mirror ${first} (#${issue})` : `Mirror ${first} and ${added.length - 1} more (#${issue})`;
  const trailers = [
    ...(requester ? [`Co-authored-by: ${requester.login} <${requester.id}+${requester.login}@users.noreply.github.com>`] : []),
    `Mirrorbot-Request: ${request}`,
  ];
  return [subject, "", `Add to ${options.file}, requested in #${issue}:`, "", ...added.map((l) => `- ${l}`), "", ...trailers].join("\n");
}

/** Title and body of the bot pull request for a request that needs approval. */
export function pullRequestText(options: { issue: number; request: string; requester: string; file: string; lines: readonly string[] }): {
  title: string;
  body: string;
} {
  const { issue, request, requester, file, lines } = options;
  const first = lines[0] ?? "";
  return {
    title: lines.length === 1 ? `Mirror ${first}` : `Mirror ${first} and ${lines.length - 1} more`,
    body: [
      `<!-- mirrorbot:issue ${issue} -->`,
      requestMarker(request),
      `${mention(requester)} asked in #${issue} to mirror these images; this adds them to ${code(file)}:`,
      "",
      ...lines.map((l) => `- ${code(l)}`),
      "",
      `Merge this pull request, or comment \`/approve\` on #${issue}, to start mirroring.`,
    ].join("\n"),
  };
}

/** Name of the check run on pull requests that change images.txt. */
export const CHECK_NAME = "mirrorbot / images.txt";

/** Title and summary of that check run. */
export function checkRunText(file: string, entries: number, diagnostics: readonly Diagnostic[]): { title: string; summary: string } {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const count = (n: number, word: string, plural = `${word}s`) => `${n} ${n === 1 ? word : plural}`;
  const entryCount = count(entries, "entry", "entries");
  const title =
    errors > 0 ? `${count(errors, "error")} in ${file}` : warnings > 0 ? `${file} is valid, ${count(warnings, "warning")}` : `${file} is valid`;
  // Messages quote the file's text; backticks must not close the fence.
  const lines = diagnostics.map((d) => formatDiagnostic(d).replace(/`/g, "'"));
  const summary =
    diagnostics.length === 0
      ? `${entryCount}, no problems.`
      : [`${entryCount}; ${count(errors, "error")}, ${count(warnings, "warning")}:`, "", "```", ...lines, "```"].join("\n");
  return { title, summary };
}
