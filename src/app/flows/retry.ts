/**
 * `/retry`: a new request for the lines that failed in the issue's last finished request
 * (all of its lines when the run failed before reporting, or when the request still says
 * `queued` but its run has ended: its result never arrived). It goes through the same
 * validation, limits and permission rules as any request, except the request size: the lines
 * were accepted once already.
 */
import type { Home, Person, RepoEnv } from "../env.js";
import { runHasEnded } from "../github/dispatch.js";
import { reply } from "../github/issue.js";
import { listStatusComments, type StatusComment } from "../github/status-comment.js";
import { renderNothingToRetry } from "../render.js";
import { submitRequest, type Submission } from "./submit.js";

/** Why there is nothing to retry, as the reply words it. */
type Nothing = "none" | "running" | "succeeded";

/** Retry the failed lines of the last dispatched request on `home` as request `request`. */
export async function retryRequest(env: RepoEnv, home: Home, sender: Person, request: string, asked: Submission["asked"]): Promise<void> {
  const { octokit, repo, log, deps } = env;
  const statuses = await listStatusComments(octokit, repo, home.issue, deps.identity);
  const own = statuses.find((s) => s.state.request === request);
  if (own && own.state.status !== "received") {
    log.info({ reason: "already-handled", request }, "retry already has a status comment");
    return;
  }
  const last = statuses.filter((s) => s.state.request !== request && ["queued", "done", "failed"].includes(s.state.status)).pop();
  if (!last) return nothingToRetry(env, home, sender, "none");
  const lines = await retryLines(env, last);
  if (typeof lines === "string") return nothingToRetry(env, home, sender, lines);
  await submitRequest(
    env,
    home,
    { request, requester: sender, items: lines.map((text) => ({ text, platforms: [] })), problems: [], force: last.state.force, accepted: true, asked },
    statuses,
  );
}

async function nothingToRetry(env: RepoEnv, home: Home, sender: Person, why: Nothing): Promise<void> {
  env.log.info({ reason: `nothing-to-retry:${why}` }, "nothing to retry");
  await reply(env.octokit, env.repo, home.issue, renderNothingToRetry(sender.login, why));
}

/** The lines to run again for `last`, or why there are none. */
async function retryLines(env: RepoEnv, last: StatusComment): Promise<string[] | Nothing> {
  const { state } = last;
  if (state.status === "done") return "succeeded";
  if (state.status === "failed") return state.failed.length > 0 ? state.failed : state.images;
  // Queued: still running, unless its run ended without the result reaching us (a missed event).
  if (state.run === null || !(await runHasEnded(env.octokit, env.repo, state.run.id))) return "running";
  env.log.info({ reason: "run-ended-unreported", request: state.request, run: state.run.id }, "queued request's run has ended");
  return state.images;
}
