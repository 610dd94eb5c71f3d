/**
 * Pull requests that change images.txt, from anyone: a check run with annotations on every
 * problem while the pull request is open, and a dispatch of the lines it added once merged.
 * The file is read from the pull request's commits through the API; fork code never runs.
 */
import { hasErrors, type Diagnostic } from "../../domain/diagnostic.js";
import { entryKey, type ImageEntry, isTagSet, parseEntryLine, parseImagesFile } from "../../domain/images-file.js";
import { DEFAULT_CONFIG_PATH } from "../../domain/config.js";
import { expandTagSets, tagSetNamingDiagnostics } from "../../engine/expand.js";
import { expandPlatforms, planTargets } from "../../domain/naming.js";
import { policyDiagnostics } from "../../domain/policy.js";
import type { Config } from "../../domain/config.js";
import type { Home, Person, RepoEnv } from "../env.js";
import { reportCheckRun } from "../github/check-run.js";
import { readRepoFile } from "../github/images-file.js";
import { firstParent } from "../github/pull-request.js";
import { issueSnapshot, reply } from "../github/issue.js";
import { findStatusComment, type StatusComment } from "../github/status-comment.js";
import { CHECK_NAME, checkRunText, renderMergedReply } from "../render.js";
import { planLines, requestLine, type RequestPlan } from "../request.js";
import { checkRequestTags } from "../tag-check.js";
import { launchRequest, newState } from "./launch.js";

/**
 * Every problem of an images.txt: syntax, duplicates, naming collisions, and the source
 * policy for the entries the change adds (lines already on the base were accepted before).
 */
export function checkImagesFile(text: string, baseText: string, config: Config): { entries: number; diagnostics: Diagnostic[] } {
  const file = config.app.imagesFile;
  const parsed = parseImagesFile(text, file);
  const before = new Set(parseImagesFile(baseText, file).entries.map(entryKey));
  const added = parsed.entries.filter((e) => !before.has(entryKey(e)));
  const all = expandPlatforms(parsed.entries, config.defaults.platforms);
  const naming = planTargets(all.filter((e) => !isTagSet(e)), config.targets, file).diagnostics;
  const setNaming = tagSetNamingDiagnostics(all.filter(isTagSet), config.targets, file);
  const diagnostics = [...parsed.diagnostics, ...naming, ...setNaming, ...policyDiagnostics(added, config.policy, file)].sort(
    (a, b) => a.line - b.line || a.column - b.column,
  );
  return { entries: parsed.entries.length, diagnostics };
}

/** Check the file at the pull request's head and report a check run. */
export async function checkPullRequest(env: RepoEnv, pr: { headSha: string; baseSha: string }): Promise<void> {
  const { octokit, repo, config, log } = env;
  const file = config.app.imagesFile;
  const head = await readRepoFile(octokit, repo, file, pr.headSha);
  const base = await readRepoFile(octokit, repo, file, pr.baseSha);
  const checked = checkImagesFile(head.text, base.text, config);
  const { entries } = checked;
  const diagnostics = [...checked.diagnostics, ...(await checkAddedTagSets(env, head.text, base.text))].sort((a, b) => a.line - b.line || a.column - b.column);
  await reportCheckRun(octokit, repo, { name: CHECK_NAME, headSha: pr.headSha, path: file, diagnostics, ...checkRunText(file, entries, diagnostics) });
  log.info({ head: pr.headSha, problems: diagnostics.length, failed: hasErrors(diagnostics) }, "images file checked");
}

/**
 * Expand the tag sets a pull request adds, as the next run would: a set over
 * `policy.maxTagsPerRule` or whose repository cannot be listed is an error, one that matches
 * nothing a warning, each on its line.
 */
async function checkAddedTagSets(env: RepoEnv, text: string, baseText: string): Promise<Diagnostic[]> {
  const { config } = env;
  const file = config.app.imagesFile;
  const before = new Set(parseImagesFile(baseText, file).entries.map(entryKey));
  const sets = parseImagesFile(text, file).entries.filter((e) => isTagSet(e) && !before.has(entryKey(e)));
  if (sets.length === 0) return [];
  const expanded = await expandTagSets(sets, { listTags: env.deps.tagSource(config), maxTagsPerRule: config.policy.maxTagsPerRule, file, configFile: DEFAULT_CONFIG_PATH });
  return expanded.diagnostics;
}

/** The lines `text` adds over `baseText` (those `keep` accepts), re-serialized, in file order. */
export function addedLines(text: string, baseText: string, file: string, keep: (entry: ImageEntry) => boolean = () => true): string[] {
  const before = new Set(parseImagesFile(baseText, file).entries.map(entryKey));
  const lines: string[] = [];
  for (const entry of parseImagesFile(text, file).entries) {
    const key = entryKey(entry);
    if (before.has(key) || !keep(entry)) continue;
    before.add(key);
    lines.push(requestLine(entry));
  }
  return lines;
}

/** A merged pull request, with what the flow needs to know about it. */
export interface MergedPull {
  readonly number: number;
  readonly id: number;
  readonly mergeSha: string;
  /** The lines the pull request's diff adds to images.txt, or null when GitHub sent no patch. */
  readonly added: readonly string[] | null;
  readonly author: Person;
  readonly labels: readonly string[];
  /** The request of a bot pull request (trusted branch and author), else null. */
  readonly botRequest: string | null;
}

/**
 * Dispatch what a merged pull request added: the entries its diff adds that are in images.txt
 * after the merge (a maintainer may have edited the pull request before merging it), and for
 * a bot pull request also its request's lines that are there (some may have been listed
 * already). A bot pull request reports in its request's status comment on the issue (and
 * says so on the pull request); any other reports on itself. A request left `received` by an
 * earlier delivery resumes in its comment; any other status means the merge was handled.
 */
export async function dispatchMerged(env: RepoEnv, pr: MergedPull): Promise<void> {
  const { octokit, repo, config, log, deps } = env;
  const bot = pr.botRequest !== null ? await botStatus(env, pr.botRequest) : null;
  if (bot) {
    const { state } = bot;
    if (state.status !== "awaiting-approval" && state.status !== "received") {
      log.info({ reason: "already-approved", request: state.request }, "request was handled before the merge");
      return;
    }
    const merged = await mergedLines(env, pr);
    const kept = state.images.filter((line) => merged.onBranch.has(lineKey(line)));
    const lines = [...new Set([...kept, ...merged.added])];
    if (lines.length === 0) {
      // An empty image list would mean "the whole file" to the workflow: never dispatch it.
      log.info({ reason: "nothing-merged", request: state.request }, "merged bot pull request leaves none of the request's images");
      await reply(octokit, repo, pr.number, renderMergedReply(state.issue, 0));
      return;
    }
    const snapshot = await issueSnapshot(octokit, repo, state.issue);
    const home: Home = { issue: state.issue, kind: state.kind, labels: snapshot.labels };
    const plan = await mergedPlan(env, lines);
    await launchRequest(env, home, { ...state, pr: null }, plan, bot.id);
    await reply(octokit, repo, pr.number, renderMergedReply(state.issue, plan.lines.length));
    return;
  }
  const request = `${pr.number}-${pr.id}`;
  const home: Home = { issue: pr.number, kind: "pull", labels: pr.labels };
  const earlier = await findStatusComment(octokit, repo, pr.number, request, deps.identity);
  if (earlier && earlier.state.status !== "received") {
    log.info({ reason: "already-handled", request }, "merge already dispatched");
    return;
  }
  const lines = (await mergedLines(env, pr)).added;
  if (lines.length === 0) {
    log.info({ reason: "nothing-added", pr: pr.number }, "merged pull request adds no entries");
    return;
  }
  await launchRequest(env, home, newState(home, request, pr.author), await mergedPlan(env, lines), earlier?.id ?? null);
}

/**
 * The entries on the default branch after the merge, and those of them the pull request
 * added, as request lines in file order. Without a patch from GitHub, the merge commit is
 * compared with its first parent (the base branch just before a merge or squash commit).
 */
async function mergedLines(env: RepoEnv, pr: MergedPull): Promise<{ onBranch: Set<string>; added: string[] }> {
  const { octokit, repo, config } = env;
  const file = config.app.imagesFile;
  const after = await readRepoFile(octokit, repo, file, pr.mergeSha);
  const onBranch = new Set(parseImagesFile(after.text, file).entries.map(entryKey));
  const stays = (entry: ImageEntry) => onBranch.has(entryKey(entry));
  if (pr.added !== null) return { onBranch, added: addedLines(pr.added.join("\n"), "", file, stays) };
  const parent = await firstParent(octokit, repo, pr.mergeSha);
  return { onBranch, added: addedLines(after.text, parent ? (await readRepoFile(octokit, repo, file, parent)).text : "", file, stays) };
}

/**
 * The plan of merged lines, with tag sets expanded for the reply when their registry answers.
 * A maintainer merged them: nothing is refused here; the run reports what it cannot do.
 */
async function mergedPlan(env: RepoEnv, lines: readonly string[]): Promise<RequestPlan> {
  const plan = planLines(lines, env.config);
  if ((plan.tagSets ?? []).length === 0) return plan;
  const checked = await checkRequestTags(plan, env.config, env.deps.tagSource(env.config));
  return checked.ok ? checked.plan : plan;
}

/** The entry key of one request line (a valid images.txt line). */
function lineKey(line: string): string {
  const { entry } = parseEntryLine(line, 1, "request");
  return entry ? entryKey(entry) : line;
}

/** The status comment of a bot pull request's request, on the issue its id starts with. */
async function botStatus(env: RepoEnv, request: string): Promise<StatusComment | null> {
  const issue = Number.parseInt(request, 10);
  return findStatusComment(env.octokit, env.repo, issue, request, env.deps.identity);
}
