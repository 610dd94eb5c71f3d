/** Wire the handlers to their events. */
import type { Probot } from "probot";
import { defaultDeps, type AppDeps } from "./env.js";
import { onIssueComment } from "./handlers/issue-comment.js";
import { onIssue } from "./handlers/issues.js";
import { onPullRequestClosed } from "./handlers/pull-request-closed.js";
import { onPullRequest } from "./handlers/pull-request.js";
import { onWorkflowRun } from "./handlers/workflow-run.js";

/** The Probot app function, with production dependencies unless `overrides` replace some (tests do). */
export function createApp(overrides: Partial<AppDeps> = {}): (probot: Probot) => void {
  return (probot) => {
    const deps: AppDeps = { ...defaultDeps(), ...overrides };
    probot.on("issue_comment.created", onIssueComment(deps));
    probot.on(["issues.opened", "issues.edited"], onIssue(deps));
    probot.on(["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"], onPullRequest(deps));
    probot.on("pull_request.closed", onPullRequestClosed(deps));
    probot.on("workflow_run.completed", onWorkflowRun(deps));
    probot.log.info("mirrorbot loaded");
  };
}
