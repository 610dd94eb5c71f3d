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
import { HOUR_MS, senderKey } from "../rate-limit.js";
import { validateRequest, type RequestItem } from "../request.js";
import { launchRequest, newState, proposeRequest, writeStatus } from "./launch.js";

/** What one request asks for. */
export interface Submission {
  readonly request: string;
  readonly requester: Person;
  readonly items: readonly RequestItem[];
  /** Problems found while reading the command, e.g. an unknown option. */
  readonly problems: readonly string[];
  readonly force?: boolean;
}

/** Handle one request end to end; `statuses` spares a listing when the caller has one. */
export async function submitRequest(env: RepoEnv, home: Home, submission: Submission, statuses?: StatusComment[]): Promise<void> {
  const { octokit, repo, config, deps, log } = env;
  const { request, requester } = submission;
  const known = statuses ?? (await listStatusComments(octokit, repo, home.issue));
  if (known.some((s) => s.state.request === request)) {
    log.info({ reason: "already-handled", request }, "request already has a status comment");
    return;
  }
  if (deps.inflight.has(request)) {
    log.info({ reason: "in-flight", request }, "request is being handled");
    return;
  }
  deps.inflight.add(request);
  try {
    const state = newState(home, request, requester, submission.force ?? false);
    const limit = config.policy.requestsPerHour;
    const rate = deps.rateLimits.hit(senderKey(env.fullName, requester.login), deps.now(), HOUR_MS, limit);
    if (!rate.allowed) {
      log.info({ reason: "rate-limited", request, sender: requester.login }, "sender is over the hourly limit");
      await writeStatus(env, home, null, { ...state, status: "limited" }, { kind: "limited", limit, retryAfterMs: rate.retryAfterMs });
      return;
    }
    const images = await readRepoFile(octokit, repo, config.app.imagesFile, env.defaultBranch);
    const validation = validateRequest(submission.items, config, images.text, submission.problems);
    if (!validation.ok) {
      log.info({ reason: "invalid", request, problems: validation.problems.length }, "request rejected");
      await writeStatus(env, home, null, { ...state, status: "rejected" }, { kind: "rejected", problems: validation.problems });
      return;
    }
    const { plan } = validation;
    const role = await getRole(octokit, repo, requester.login);
    if (permits(role, config.policy.syncPermission) || plan.newLines.length === 0) {
      await launchRequest(env, home, state, plan, null);
    } else {
      await proposeRequest(env, home, state, plan, null);
    }
  } finally {
    deps.inflight.delete(request);
  }
}
