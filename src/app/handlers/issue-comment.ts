/** `issue_comment.created`: `/sync`, `/retry` or `/approve` on an issue or a pull request. */
import type { Context } from "probot";
import { parseCommands, type SyncCommand } from "../commands.js";
import type { AppDeps, Home } from "../env.js";
import { approveRequest } from "../flows/approve.js";
import { retryRequest } from "../flows/retry.js";
import { submitRequest } from "../flows/submit.js";
import { labelNames } from "../github/labels.js";
import { loadEnv } from "../load-env.js";

/**
 * The handler. The first command decides what the comment does; several `/sync` lines make
 * one request, each line's `--platform` applying to its own images.
 */
export function onIssueComment(deps: AppDeps) {
  return async (context: Context<"issue_comment.created">): Promise<void> => {
    const { comment, issue, sender, repository } = context.payload;
    if (sender.type === "Bot") {
      context.log.info({ reason: "bot-sender", sender: sender.login }, "ignoring a comment by a bot");
      return;
    }
    const commands = parseCommands(comment.body);
    const first = commands[0];
    if (!first) {
      context.log.debug({ reason: "no-command" }, "comment has no command");
      return;
    }
    const env = await loadEnv(context.octokit, context.log, repository, deps, issue.number);
    if (!env) return;
    const home: Home = { issue: issue.number, kind: issue.pull_request ? "pull" : "issue", labels: labelNames(issue.labels) };
    const person = { login: sender.login, id: sender.id };
    const request = `${issue.number}-${comment.id}`;
    // GitHub's order of requests, for the hourly limit: when the comment was made, then its id.
    const asked = { mark: { at: Date.parse(comment.created_at), order: comment.id }, comment: comment.id };
    if (first.kind === "approve") return approveRequest(env, home, person, first.request ?? null);
    if (first.kind === "retry") return retryRequest(env, home, person, request, asked);
    const syncs = commands.filter((c): c is SyncCommand => c.kind === "sync");
    await submitRequest(env, home, {
      request,
      requester: person,
      items: syncs.flatMap((c) => c.images.map((text) => ({ text, platforms: c.platforms }))),
      problems: syncs.flatMap((c) => c.problems),
      asked,
    });
  };
}
