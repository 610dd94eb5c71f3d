/** `issues.opened` and `issues.edited`: an issue from the mirror form (labelled `mirror`). */
import type { Context } from "probot";
import type { AppDeps, Home } from "../env.js";
import { submitRequest } from "../flows/submit.js";
import { labelNames } from "../github/labels.js";
import { readIssueForm, REQUEST_LABEL } from "../issue-form.js";
import { loadEnv } from "../load-env.js";

/**
 * The handler. Each evaluation is its own request, `<issue>-<unix time of the edit>`, so an
 * edited issue is evaluated again and a redelivered event is not. The requester is always
 * the issue's author: a maintainer who edits someone's request (even only its formatting)
 * must not turn it into their own, permission included. Someone else's edit must not borrow
 * the author's permission either: both must hold it for a direct commit.
 */
export function onIssue(deps: AppDeps) {
  return async (context: Context<"issues.opened" | "issues.edited">): Promise<void> => {
    const { issue, sender, repository } = context.payload;
    if (sender.type === "Bot") {
      context.log.info({ reason: "bot-sender", sender: sender.login }, "ignoring an issue event by a bot");
      return;
    }
    const labels = labelNames(issue.labels);
    if (!labels.includes(REQUEST_LABEL)) {
      context.log.debug({ reason: "not-labelled" }, `issue has no ${REQUEST_LABEL} label`);
      return;
    }
    if (context.payload.action === "edited" && context.payload.changes.body === undefined) {
      context.log.info({ reason: "body-unchanged" }, "edit did not change the body");
      return;
    }
    const form = readIssueForm(issue.body);
    if (!form) {
      context.log.info({ reason: "no-form" }, "issue body has no images section");
      return;
    }
    const author = issue.user;
    if (!author) {
      context.log.info({ reason: "no-author" }, "issue has no author (a deleted account)");
      return;
    }
    const env = await loadEnv(context.octokit, context.log, repository, deps, issue.number);
    if (!env) return;
    const home: Home = { issue: issue.number, kind: "issue", labels };
    const stamp = Math.floor(Date.parse(issue.updated_at) / 1000);
    await submitRequest(env, home, {
      request: `${issue.number}-${Number.isFinite(stamp) ? stamp : issue.id}`,
      requester: { login: author.login, id: author.id },
      ...(sender.id !== author.id ? { editor: { login: sender.login, id: sender.id } } : {}),
      items: form.images.map((text) => ({ text, platforms: form.platforms })),
      problems: [],
      // An opened issue is placed where it was created; an edit, when it was made.
      asked: { mark: { at: Date.parse(context.payload.action === "opened" ? issue.created_at : issue.updated_at), order: issue.id }, issue: issue.number },
    });
  };
}
