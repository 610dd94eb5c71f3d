/** `pull_request.closed` with `merged: true` into the default branch: dispatch the lines the merge added. */
import type { Context } from "probot";
import type { AppDeps } from "../env.js";
import { dispatchMerged } from "../flows/pull-request.js";
import { labelNames } from "../github/labels.js";
import { fileChange, requestOfBranch } from "../github/pull-request.js";
import { loadEnv } from "../load-env.js";

/**
 * The handler. A pull request counts as the app's own only when the app's account opened it
 * from a `mirrorbot/request-*` branch of this repository (only writers can push there).
 */
export function onPullRequestClosed(deps: AppDeps) {
  return async (context: Context<"pull_request.closed">): Promise<void> => {
    const { pull_request: pr, repository } = context.payload;
    if (!pr.merged || !pr.merge_commit_sha) {
      context.log.debug({ reason: "not-merged", pr: pr.number }, "pull request closed without merge");
      return;
    }
    // Lines merged into another branch are not in the images.txt the mirror workflow reads.
    if (pr.base.ref !== repository.default_branch) {
      context.log.debug({ reason: "not-default-branch", pr: pr.number, base: pr.base.ref }, "merged into another branch");
      return;
    }
    const env = await loadEnv(context.octokit, context.log, repository, deps, pr.number);
    if (!env) return;
    const fromBotBranch = pr.user.type === "Bot" && pr.head.repo?.full_name === repository.full_name ? requestOfBranch(pr.head.ref) : null;
    // Only this app's own account opens bot pull requests; another bot could name a branch alike.
    const botRequest = fromBotBranch !== null && pr.user.login === (await deps.identity(env.octokit)).login ? fromBotBranch : null;
    const change = await fileChange(env.octokit, env.repo, pr.number, env.config.app.imagesFile);
    if (botRequest === null && !change.touched) {
      context.log.debug({ reason: "file-unchanged", pr: pr.number }, "merged pull request does not change the images file");
      return;
    }
    await dispatchMerged(env, {
      number: pr.number,
      id: pr.id,
      mergeSha: pr.merge_commit_sha,
      added: change.added,
      author: { login: pr.user.login, id: pr.user.id },
      labels: labelNames(pr.labels),
      botRequest,
    });
  };
}
