/**
 * `/approve [REQUEST]`: a maintainer accepts a request waiting on this issue. Its lines are
 * applied to the default branch through the same conflict-safe commit as a direct sync
 * (crediting the requester), the bot pull request is closed with a pointer to that commit,
 * then the run is dispatched. Re-applying the lines instead of merging the pull request means
 * a stale bot branch can never conflict or carry anything but the lines that were validated.
 *
 * A bare `/approve` picks the request only when exactly one is waiting: with several, the
 * requester could have added one while the maintainer reviewed another, so the maintainer
 * names the one they reviewed.
 */
import type { Home, Person, RepoEnv } from "../env.js";
import { reply } from "../github/issue.js";
import { readRepoFile } from "../github/images-file.js";
import { getRole, permits } from "../github/permission.js";
import { closePullRequest } from "../github/pull-request.js";
import { listStatusComments } from "../github/status-comment.js";
import { renderApproveDenied, renderApprovedClose, renderApproveWhich, renderNothingToApprove } from "../render.js";
import { validateRequest } from "../request.js";
import { checkRequestTags } from "../tag-check.js";
import { launchRequest, writeStatus } from "./launch.js";

/** Approve the request `wanted`, or the only one awaiting approval on `home` when null. */
export async function approveRequest(env: RepoEnv, home: Home, approver: Person, wanted: string | null = null): Promise<void> {
  const { octokit, repo, config, deps, log } = env;
  const need = config.policy.syncPermission;
  if (!permits(await getRole(octokit, repo, approver.login), need)) {
    log.info({ reason: "not-permitted", sender: approver.login }, "approver lacks permission");
    await reply(octokit, repo, home.issue, renderApproveDenied(approver.login, need));
    return;
  }
  const waiting = (await listStatusComments(octokit, repo, home.issue, deps.identity)).filter((s) => s.state.status === "awaiting-approval");
  const candidates = wanted === null ? waiting : waiting.filter((s) => s.state.request === wanted);
  const pending = candidates[0];
  if (!pending) {
    log.info({ reason: "nothing-pending", request: wanted }, "no request awaits approval");
    await reply(octokit, repo, home.issue, renderNothingToApprove(approver.login, wanted));
    return;
  }
  if (candidates.length > 1) {
    log.info({ reason: "ambiguous", pending: candidates.length }, "several requests await approval; none named");
    await reply(octokit, repo, home.issue, renderApproveWhich(approver.login, candidates.map((s) => s.state)));
    return;
  }
  const { state } = pending;
  // The policy or images.txt may have changed since the request was made; the size was checked then.
  const images = await readRepoFile(octokit, repo, config.app.imagesFile, env.defaultBranch);
  const items = state.images.map((text) => ({ text, platforms: [] }));
  const validation = validateRequest(items, config, images.text, [], { checkSize: false });
  if (!validation.ok) {
    log.info({ reason: "invalid", request: state.request }, "approved request no longer validates");
    await writeStatus(env, home, pending.id, { ...state, status: "rejected" }, { kind: "rejected", problems: validation.problems });
    return;
  }
  // Expanded again: upstream tags may have changed while the request waited.
  const checked = await checkRequestTags(validation.plan, config, deps.tagSource(config));
  if (!checked.ok) {
    log.info({ reason: "tags", request: state.request }, "approved request no longer validates");
    await writeStatus(env, home, pending.id, { ...state, status: "rejected" }, { kind: "rejected", problems: checked.problems });
    return;
  }
  const pr = state.pr;
  await launchRequest(env, home, state, checked.plan, pending.id, async (commit) => {
    if (pr !== null) await closePullRequest(octokit, repo, pr, renderApprovedClose(approver.login, home.issue, commit?.url ?? null));
  });
}
