/**
 * A new request (a `/sync` comment, an issue form, a `/retry`): Validate, then Record and
 * Dispatch. A sender with the configured permission syncs directly; anyone else gets a bot
 * pull request for a maintainer, unless every line is in images.txt already (then nothing
 * new needs approval and the images are synced again).
 */
import type { Home, Person, RepoEnv } from "../env.js";
import { readRepoFile } from "../github/images-file.js";
import { getRole, permits } from "../github/permission.js";
import { listStatusComments, type StatusComment } from "../github/status-comment.js";
import type { RequestAsk } from "../rate-limit.js";
import { validateRequest, type RequestItem } from "../request.js";
import { checkRequestTags } from "../tag-check.js";
import { launchRequest, newState, proposeRequest, writeStatus } from "./launch.js";

/** What one request asks for. */
export interface Submission {
  readonly request: string;
  readonly requester: Person;
  /** Someone else who changed the request (an issue edited by another user): both must be permitted to sync directly. */
  readonly editor?: Person;
  readonly items: readonly RequestItem[];
  /** Problems found while reading the command, e.g. an unknown option. */
  readonly problems: readonly string[];
  readonly force?: boolean;
  /** Lines accepted before (a `/retry`): not counted against `policy.maxImagesPerRequest` again. */
  readonly accepted?: boolean;
  /** Where the request sits in GitHub's order, and the comment or issue that made it, for the hourly limit. */
  readonly asked: Omit<RequestAsk, "requester">;
}

/**
 * Handle one request end to end; `statuses` spares a listing when the caller has one. A
 * request whose status comment exists is not handled again, except one left `received` (the
 * app stopped before dispatching it): that one resumes in the same comment.
 */
export async function submitRequest(env: RepoEnv, home: Home, submission: Submission, statuses?: StatusComment[]): Promise<void> {
  const { octokit, repo, config, deps, log } = env;
  const { request, requester } = submission;
  const known = statuses ?? (await listStatusComments(octokit, repo, home.issue, deps.identity));
  const earlier = known.find((s) => s.state.request === request) ?? null;
  if (earlier && earlier.state.status !== "received") {
    log.info({ reason: "already-handled", request }, "request already has a status comment");
    return;
  }
  const state = newState(home, request, requester, submission.force ?? false);
  const commentId = earlier?.id ?? null;
  // A resumed request passed the limit when it was received.
  const limit = config.policy.requestsPerHour;
  const rate = earlier ? null : await deps.rateLimits.judge(env, { requester: requester.login, ...submission.asked });
  if (rate && !rate.allowed) {
    log.info({ reason: "rate-limited", request, sender: requester.login }, "sender is over the hourly limit");
    await writeStatus(env, home, null, { ...state, status: "limited" }, { kind: "limited", limit, retryAfterMs: rate.retryAfterMs });
    return;
  }
  if (earlier) log.info({ reason: "resume", request }, "request was received but not dispatched; resuming");
  const images = await readRepoFile(octokit, repo, config.app.imagesFile, env.defaultBranch);
  const validation = validateRequest(submission.items, config, images.text, submission.problems, { checkSize: !submission.accepted });
  if (!validation.ok) {
    log.info({ reason: "invalid", request, problems: validation.problems.length }, "request rejected");
    await writeStatus(env, home, commentId, { ...state, status: "rejected" }, { kind: "rejected", problems: validation.problems });
    return;
  }
  // Tag sets are expanded (and capped) before anything is written.
  const checked = await checkRequestTags(validation.plan, config, deps.tagSource(config));
  if (!checked.ok) {
    log.info({ reason: "tags", request, problems: checked.problems.length }, "request rejected");
    await writeStatus(env, home, commentId, { ...state, status: "rejected" }, { kind: "rejected", problems: checked.problems });
    return;
  }
  const { plan } = checked;
  const direct = await mayCommit(env, [requester, ...(submission.editor ? [submission.editor] : [])]);
  if (direct || plan.newLines.length === 0) {
    await launchRequest(env, home, state, plan, commentId);
  } else {
    await proposeRequest(env, home, state, plan, commentId);
  }
}

/** True when every person who shaped the request may commit to the default branch. */
async function mayCommit(env: RepoEnv, people: readonly Person[]): Promise<boolean> {
  for (const person of people) {
    if (!permits(await getRole(env.octokit, env.repo, person.login), env.config.policy.syncPermission)) return false;
  }
  return true;
}
