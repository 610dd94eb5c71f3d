/**
 * `/retry`: a new request for the lines that failed in the issue's last finished request
 * (all of its lines when the run failed before reporting). It goes through the same
 * validation, limits and permission rules as any request.
 */
import type { Home, Person, RepoEnv } from "../env.js";
import { reply } from "../github/issue.js";
import { listStatusComments } from "../github/status-comment.js";
import { renderNothingToRetry } from "../render.js";
import { submitRequest } from "./submit.js";

/** Retry the failed lines of the last dispatched request on `home` as request `request`. */
export async function retryRequest(env: RepoEnv, home: Home, sender: Person, request: string): Promise<void> {
  const { octokit, repo, log } = env;
  const statuses = await listStatusComments(octokit, repo, home.issue);
  if (statuses.some((s) => s.state.request === request)) {
    log.info({ reason: "already-handled", request }, "retry already has a status comment");
    return;
  }
  const last = statuses.filter((s) => ["queued", "done", "failed"].includes(s.state.status)).pop();
  const why = !last ? "none" : last.state.status === "queued" ? "running" : last.state.status === "done" ? "succeeded" : null;
  if (why !== null || !last) {
    log.info({ reason: `nothing-to-retry:${why}` }, "nothing to retry");
    await reply(octokit, repo, home.issue, renderNothingToRetry(sender.login, why ?? "none"));
    return;
  }
  const lines = last.state.failed.length > 0 ? last.state.failed : last.state.images;
  await submitRequest(
    env,
    home,
    { request, requester: sender, items: lines.map((text) => ({ text, platforms: [] })), problems: [], force: last.state.force },
    statuses,
  );
}
