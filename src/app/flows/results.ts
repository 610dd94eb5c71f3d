/**
 * `workflow_run.completed` for a mirror run: download its result, turn the status comment
 * into the result table, set the label, and close the issue when everything was mirrored.
 */
import { isTagSet, parseEntryLine } from "../../domain/images-file.js";
import { ruleText } from "../../engine/expand.js";
import { formatPlatform } from "../../domain/platform.js";
import { canonical } from "../../domain/reference.js";
import type { SyncResult } from "../../engine/result.js";
import type { Home, RepoEnv } from "../env.js";
import { downloadResult } from "../github/artifact.js";
import { apiMessage } from "../github/client.js";
import type { RunLink } from "../github/dispatch.js";
import { closeIssue, issueSnapshot } from "../github/issue.js";
import { setStatusLabel, STATUS_LABELS, type StatusLabel } from "../github/labels.js";
import { markSuperseded, type StatusComment } from "../github/status-comment.js";
import { setupProblem } from "../github/setup-problem.js";
import type { RequestState } from "../state.js";
import { writeStatus } from "./launch.js";

/** The finished run, as the payload describes it. */
export interface FinishedRun extends RunLink {
  readonly conclusion: string | null;
}

/** The tasks of `result` that belong to request line `line`. */
function tasksOf(line: string, result: SyncResult): SyncResult["tasks"] {
  const entry = parseEntryLine(line).entry;
  if (!entry) return [];
  const source = canonical(entry.source);
  const platform = entry.platform ? formatPlatform(entry.platform) : null;
  const samePlatform = (t: SyncResult["tasks"][number]) => platform === null || t.platform === platform;
  // A tag set's tasks carry the set they came from; their sources name the tags.
  if (isTagSet(entry)) return result.tasks.filter((t) => t.rule === ruleText(entry) && samePlatform(t));
  return result.tasks.filter((t) => t.source === source && samePlatform(t));
}

/**
 * The request lines that did not make it: a line fails when one of its tasks failed or when
 * the result has no task for it at all.
 */
export function failedLines(lines: readonly string[], result: SyncResult): string[] {
  return lines.filter((line) => {
    const tasks = tasksOf(line, result);
    return tasks.length === 0 || tasks.some((t) => t.status === "failed");
  });
}

/**
 * The issue's status label once one of its requests is done: the other requests on the issue
 * still decide it while any of them failed, is in flight or waits for approval.
 */
export function labelAfterDone(others: readonly RequestState[]): StatusLabel {
  const statuses = new Set(others.map((o) => o.status));
  if (statuses.has("failed")) return STATUS_LABELS.failed;
  if (statuses.has("queued") || statuses.has("received")) return STATUS_LABELS.queued;
  if (statuses.has("awaiting-approval")) return STATUS_LABELS.awaiting;
  return STATUS_LABELS.done;
}

/**
 * Report the run's outcome in the request's status comment; if that fails, say so there.
 * `others` are the states of the issue's other requests.
 */
export async function reportResult(env: RepoEnv, status: StatusComment, run: FinishedRun, others: readonly StatusComment[] = []): Promise<void> {
  try {
    await report(env, status, run, others);
  } catch (err) {
    const problem = setupProblem(err, "artifact", env.deps.runtime);
    if (problem) {
      // The result is there but the token may not read it. A run that succeeded most likely
      // mirrored everything: say so, keep the request waiting for its result (a re-run of the
      // report job reports it), and do not call it failed. Then fail loudly for the operator.
      env.log.error({ err: problem, github: problem.githubMessage, request: status.state.request, run: run.id }, problem.message);
      const { base, home } = await where(env, status, run);
      if (run.conclusion === "success") {
        await writeStatus(env, home, status.id, { ...base, status: "queued" }, { kind: "unreadable", conclusion: run.conclusion, problem: problem.text });
      } else {
        await reportRunFailed(env, home, status.id, base, run, `${problem.text.doing} failed because ${problem.what}; a maintainer needs to ${problem.fix}`);
      }
      throw problem;
    }
    // A request left "queued" would wait for a result that already came: mark it failed with
    // the reason, so /retry is offered. If even that fails, the error goes to the log.
    env.log.warn({ request: status.state.request, run: run.id, err }, "could not report the result");
    const { base, home } = await where(env, status, run);
    await reportRunFailed(env, home, status.id, base, run, `the app could not report its result: ${apiMessage(err)}`);
  }
}

/** The request's state with its run, and the issue it reports on (labels read now). */
async function where(env: RepoEnv, status: StatusComment, run: FinishedRun): Promise<{ base: RequestState; home: Home; open: boolean }> {
  const base: RequestState = { ...status.state, run: status.state.run ?? { id: run.id, url: run.url } };
  const snapshot = await issueSnapshot(env.octokit, env.repo, base.issue);
  return { base, home: { issue: base.issue, kind: base.kind, labels: snapshot.labels }, open: snapshot.open };
}

/** Every requested image failed with the run: say why, label the issue failed. */
async function reportRunFailed(env: RepoEnv, home: Home, commentId: number, base: RequestState, run: FinishedRun, reason: string): Promise<void> {
  await writeStatus(env, home, commentId, { ...base, status: "failed", failed: base.images }, { kind: "run-failed", conclusion: run.conclusion, reason });
  await setStatusLabel(env.octokit, env.repo, home.issue, STATUS_LABELS.failed, home.labels);
}

/**
 * The older failed requests `done` makes moot: each line they failed on was mirrored by `done`
 * (a `/retry` repeats exactly those lines).
 */
export function supersededBy(done: RequestState, doneId: number, others: readonly StatusComment[]): StatusComment[] {
  const mirrored = new Set(done.images);
  return others.filter((o) => {
    if (o.id >= doneId || o.state.status !== "failed") return false;
    const lines = o.state.failed.length > 0 ? o.state.failed : o.state.images;
    return lines.length > 0 && lines.every((line) => mirrored.has(line));
  });
}

async function report(env: RepoEnv, status: StatusComment, run: FinishedRun, others: readonly StatusComment[]): Promise<void> {
  const { octokit, repo, config, log } = env;
  const download = await downloadResult(octokit, repo, run.id);
  const { base, home, open } = await where(env, status, run);

  // The result must be for this request: the workflow writes the dispatched id into it.
  const foreign = download.kind === "result" && download.result.request !== base.request;
  if (download.kind !== "result" || foreign) {
    log.info({ reason: foreign ? "other-request" : download.kind, request: base.request, run: run.id }, "run has no usable result");
    const reason =
      download.kind === "missing"
        ? "it uploaded no mirror-result artifact"
        : download.kind === "invalid"
          ? download.reason
          : `its result is for request ${JSON.stringify(download.result.request)}, not this one`;
    await reportRunFailed(env, home, status.id, base, run, reason);
    return;
  }
  const failedList = failedLines(base.images, download.result);
  const ok = failedList.length === 0 && download.result.summary.failed === 0;
  const next: RequestState = { ...base, status: ok ? "done" : "failed", failed: failedList };
  const unreported = base.images.filter((line) => tasksOf(line, download.result).length === 0);
  const catalogUrl = config.catalog.enabled !== false ? config.catalog.url : null;
  await writeStatus(env, home, status.id, next, { kind: "result", result: download.result, unreported, catalogUrl });
  // A failure that a later request mirrored no longer keeps the issue open or labelled failed.
  const superseded = ok ? supersededBy(next, status.id, others) : [];
  for (const old of superseded) await markSuperseded(octokit, repo, old, base.request);
  const gone = new Set(superseded.map((o) => o.id));
  const label = ok ? labelAfterDone(others.filter((o) => !gone.has(o.id)).map((o) => o.state)) : STATUS_LABELS.failed;
  await setStatusLabel(octokit, repo, home.issue, label, home.labels);
  // Close only when nothing else on the issue is pending or failed.
  if (label === STATUS_LABELS.done && home.kind === "issue" && config.app.closeIssueOnSuccess && open) await closeIssue(octokit, repo, home.issue);
  log.info({ request: base.request, run: run.id, status: next.status }, "result reported");
}
