/** `workflow_run.completed`: the result of a run the app dispatched. */
import type { Context } from "probot";
import type { AppDeps } from "../env.js";
import { reportResult } from "../flows/results.js";
import { listStatusComments } from "../github/status-comment.js";
import { loadEnv } from "../load-env.js";

const TITLE_RE = /^mirror ((\d+)-[A-Za-z0-9]+)$/;

/** The handler. The run is matched to its request by its title, `mirror <request>`. */
export function onWorkflowRun(deps: AppDeps) {
  return async (context: Context<"workflow_run.completed">): Promise<void> => {
    const { workflow_run: run, repository } = context.payload;
    if (run.event !== "workflow_dispatch") {
      context.log.debug({ reason: "not-dispatched", event: run.event }, "run was not dispatched");
      return;
    }
    const match = TITLE_RE.exec(run.display_title ?? "");
    if (!match) {
      context.log.debug({ reason: "not-a-request", title: run.display_title }, "run title names no request");
      return;
    }
    // The app dispatches on the default branch; a run of a changed workflow on another branch
    // must not report for a request, whatever its title says.
    if (run.head_branch !== repository.default_branch) {
      context.log.info({ reason: "other-branch", branch: run.head_branch }, "run is not on the default branch");
      return;
    }
    const request = match[1]!;
    const issue = Number.parseInt(match[2]!, 10);
    const env = await loadEnv(context.octokit, context.log, repository, deps, null);
    if (!env) return;
    const path = context.payload.workflow?.path ?? run.path;
    if (path && path.split("/").pop() !== env.config.app.workflow) {
      context.log.info({ reason: "other-workflow", path }, "run belongs to another workflow");
      return;
    }
    const all = await listStatusComments(env.octokit, env.repo, issue, deps.identity);
    const status = all.find((c) => c.state.request === request);
    if (!status) {
      context.log.info({ reason: "no-status-comment", request }, "no status comment for this request");
      return;
    }
    const sameRun = status.state.run === null || status.state.run.id === run.id;
    // A run id not recorded yet is fine while the request waits for its run (queued, or received when the app stopped right after dispatching).
    const awaitingRun = status.state.status === "queued" || status.state.status === "received";
    if (!sameRun || (!awaitingRun && status.state.run === null)) {
      context.log.info({ reason: "not-this-run", request, run: run.id }, "status comment belongs to another run");
      return;
    }
    const others = all.filter((c) => c.id !== status.id);
    await reportResult(env, status, { id: run.id, url: run.html_url, conclusion: run.conclusion }, others);
  };
}
