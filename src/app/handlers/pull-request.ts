/** `pull_request.opened`, `.synchronize`, `.reopened`: check a changed images.txt. */
import type { Context } from "probot";
import type { AppDeps } from "../env.js";
import { checkPullRequest } from "../flows/pull-request.js";
import { fileChange } from "../github/pull-request.js";
import { loadEnv } from "../load-env.js";

/** The handler. Pull requests by bots are checked too (dependency bots edit images.txt). */
export function onPullRequest(deps: AppDeps) {
  return async (context: Context<"pull_request.opened" | "pull_request.synchronize" | "pull_request.reopened">): Promise<void> => {
    const { pull_request: pr, repository } = context.payload;
    // A broken config is only logged here: a comment on every push would be noise.
    const env = await loadEnv(context.octokit, context.log, repository, deps, null);
    if (!env) return;
    if (!(await fileChange(env.octokit, env.repo, pr.number, env.config.app.imagesFile)).touched) {
      context.log.debug({ reason: "file-unchanged", pr: pr.number }, "pull request does not change the images file");
      return;
    }
    await checkPullRequest(env, { headSha: pr.head.sha, baseSha: pr.base.sha });
  };
}
