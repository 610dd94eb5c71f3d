/**
 * The last two steps of every request: Record (commit the new lines, or propose them in a
 * pull request) and Dispatch, each ending with the status comment and label brought up to
 * date. A request that already has a run is never dispatched again.
 */
import type { Home, Person, RepoEnv } from "../env.js";
import { apiMessage } from "../github/client.js";
import { dispatchWorkflow, type RunLink } from "../github/dispatch.js";
import { commitLines, CommitRefusedError, type CommitLink } from "../github/images-file.js";
import { setStatusLabel, STATUS_LABELS } from "../github/labels.js";
import { openRequestPullRequest, PullRequestError, type PullLink } from "../github/pull-request.js";
import { setupProblem, type SetupProblem } from "../github/setup-problem.js";
import { claimStatusComment, writeStatusComment } from "../github/status-comment.js";
import { code, commitMessage, pullRequestText, renderStatus, type StatusView } from "../render.js";
import type { RequestPlan } from "../request.js";
import type { RequestState } from "../state.js";

/** A fresh state for a request that is about to be handled. */
export function newState(home: Home, request: string, requester: Person, force = false): RequestState {
  return {
    version: 1,
    request,
    issue: home.issue,
    kind: home.kind,
    status: "queued",
    requester: { login: requester.login, id: requester.id },
    images: [],
    force,
    pr: null,
    commit: null,
    run: null,
    failed: [],
  };
}

/** Create or edit the status comment; returns its id. */
export async function writeStatus(env: RepoEnv, home: Home, commentId: number | null, state: RequestState, view: StatusView): Promise<number> {
  return writeStatusComment(env.octokit, env.repo, home.issue, commentId, renderStatus(state, view));
}

/** What the status comment says when the default branch refuses the app's commit. */
const REFUSED_HINT =
  "The default branch does not accept the app's commits (branch protection or a ruleset): allow the app to push to it, or add images through pull requests.";

/**
 * Commit the plan's new lines to the default branch (with the requester as co-author), let
 * `afterCommit` run (the approve flow closes its pull request there), dispatch, reply queued.
 *
 * The status comment says `received` before anything is committed, and `queued` as soon as
 * the dispatch is accepted, so a redelivered event finds it and resumes or stops instead of
 * acting twice (docs/app.md, "One request, one run"); two deliveries at the same moment are
 * told apart by their status comments' ids, not by memory. Committing again is harmless: lines
 * already in images.txt are never added twice.
 */
export async function launchRequest(
  env: RepoEnv,
  home: Home,
  state: RequestState,
  plan: RequestPlan,
  commentId: number | null,
  afterCommit?: (commit: CommitLink | null) => Promise<void>,
): Promise<RequestState> {
  const { octokit, repo, config, deps } = env;
  if (state.run !== null) {
    env.log.info({ reason: "already-dispatched", request: state.request }, "request already has a run");
    return state;
  }
  let recorded: RequestState = { ...state, status: "received", images: plan.lines, pr: null };
  const id =
    commentId === null
      ? await claimStatusComment(octokit, repo, home.issue, state.request, renderStatus(recorded, { kind: "received" }))
      : await writeStatus(env, home, commentId, recorded, { kind: "received" });
  if (id === null) {
    env.log.info({ reason: "in-flight", request: state.request }, "another delivery of this request is handling it");
    return state;
  }
  const fail = async (reason: string, err: unknown, hint?: string): Promise<RequestState> => {
    env.log.error({ err, request: state.request }, reason);
    const failed: RequestState = { ...recorded, status: "failed", failed: plan.lines };
    await writeStatus(env, home, id, failed, { kind: "not-started", reason, ...(hint ? { hint } : {}) });
    await setStatusLabel(octokit, repo, home.issue, STATUS_LABELS.failed, home.labels);
    return failed;
  };
  // A missing permission or setting: say so to the requester, then fail the event so the
  // operator sees it too (a failing Actions step, an error in the app's log).
  const blocked = async (problem: SetupProblem, stage: "record" | "dispatch"): Promise<never> => {
    env.log.error({ err: problem, github: problem.githubMessage, request: state.request }, problem.message);
    const failed: RequestState = { ...recorded, status: "failed", failed: plan.lines };
    await writeStatus(env, home, id, failed, { kind: "blocked", stage, problem: problem.text, done: problem.done });
    await setStatusLabel(octokit, repo, home.issue, STATUS_LABELS.failed, home.labels);
    throw problem;
  };
  let commit: CommitLink | null = null;
  if (plan.newLines.length > 0) {
    const message = (added: string[]) =>
      commitMessage({ file: config.app.imagesFile, added, issue: home.issue, request: state.request, requester: state.requester });
    try {
      ({ commit } = await commitLines(octokit, repo, {
        path: config.app.imagesFile,
        branch: env.defaultBranch,
        lines: plan.newLines,
        message,
        attempts: deps.commitAttempts,
        sleep: deps.sleep,
      }));
    } catch (err) {
      const problem = setupProblem(err, "commit", deps.runtime);
      if (problem) return blocked(problem, "record");
      if (err instanceof CommitRefusedError) return fail(err.message, err, REFUSED_HINT);
      return fail(`${config.app.imagesFile} could not be updated: ${apiMessage(err)}`, err);
    }
  }
  recorded = { ...recorded, commit: commit?.sha ?? state.commit };
  await afterCommit?.(commit);
  const queued = (run: RunLink | null): RequestState => ({ ...recorded, status: "queued", run });
  let run: RunLink | null;
  try {
    run = await dispatchWorkflow(octokit, repo, {
      workflow: config.app.workflow,
      ref: env.defaultBranch,
      inputs: { images: plan.lines.join("\n"), request: state.request, force: state.force },
      search: { ...deps.runSearch, sleep: deps.sleep },
      // The run is being looked for: record the dispatch now, not after the search.
      onAccepted: async () => void (await writeStatus(env, home, id, queued(null), { kind: "queued", rows: plan.rows })),
    });
  } catch (err) {
    const committed = commit ? `${plan.newLines.map(code).join(", ")} ${plan.newLines.length === 1 ? "was" : "were"} added to ${code(config.app.imagesFile)} (commit ${code(commit.sha.slice(0, 7))})` : null;
    const problem = setupProblem(err, "dispatch", deps.runtime, committed);
    if (problem) return blocked(problem, "dispatch");
    return fail(`dispatching ${config.app.workflow} failed: ${apiMessage(err)}`, err);
  }
  const done = queued(run);
  if (run !== null) await writeStatus(env, home, id, done, { kind: "queued", rows: plan.rows });
  await setStatusLabel(octokit, repo, home.issue, STATUS_LABELS.queued, home.labels);
  env.log.info({ request: state.request, run: run?.id ?? null, added: plan.newLines.length }, "request dispatched");
  return done;
}

/** Open the bot pull request with the plan's new lines and reply that it awaits approval. */
export async function proposeRequest(env: RepoEnv, home: Home, state: RequestState, plan: RequestPlan, commentId: number | null): Promise<RequestState> {
  const { octokit, repo, config, deps } = env;
  const file = config.app.imagesFile;
  const text = pullRequestText({ issue: home.issue, request: state.request, requester: state.requester.login, file, lines: plan.newLines });
  let pr: PullLink;
  try {
    pr = await openRequestPullRequest(octokit, repo, {
      base: env.defaultBranch,
      request: state.request,
      path: file,
      lines: plan.newLines,
      message: (added) => commitMessage({ file, added, issue: home.issue, request: state.request, requester: state.requester }),
      title: text.title,
      body: text.body,
      attempts: deps.commitAttempts,
      sleep: deps.sleep,
    });
  } catch (err) {
    const problem = err instanceof PullRequestError ? setupProblem(err.error, err.operation, deps.runtime) : null;
    if (!problem) throw err instanceof PullRequestError ? err.error : err;
    env.log.error({ err: problem, github: problem.githubMessage, request: state.request }, problem.message);
    const failed: RequestState = { ...state, status: "failed", images: plan.lines, failed: plan.lines };
    await writeStatus(env, home, commentId, failed, { kind: "blocked", stage: "propose", problem: problem.text, done: null });
    await setStatusLabel(octokit, repo, home.issue, STATUS_LABELS.failed, home.labels);
    throw problem;
  }
  const awaiting: RequestState = { ...state, status: "awaiting-approval", images: plan.lines, pr: pr.number };
  await writeStatus(env, home, commentId, awaiting, { kind: "awaiting-approval", prUrl: pr.url, rows: plan.rows });
  await setStatusLabel(octokit, repo, home.issue, STATUS_LABELS.awaiting, home.labels);
  env.log.info({ request: state.request, pr: pr.number }, "request proposed in a pull request");
  return awaiting;
}
