/**
 * One status comment per request, found again by its hidden marker and edited in place.
 * Only comments written by a bot count: anyone can paste a marker into their own comment.
 */
import { readState, type RequestState } from "../state.js";
import type { Octokit, Repo } from "./client.js";

/** A status comment and the state it carries. */
export interface StatusComment {
  readonly id: number;
  readonly state: RequestState;
}

/** Every status comment on an issue, oldest first. */
export async function listStatusComments(octokit: Octokit, repo: Repo, issue: number): Promise<StatusComment[]> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: issue, per_page: 100 });
  const found: StatusComment[] = [];
  for (const comment of comments) {
    if (comment.user?.type !== "Bot" || !comment.body) continue;
    const state = readState(comment.body);
    if (state && state.issue === issue) found.push({ id: comment.id, state });
  }
  return found;
}

/** The status comment of one request, or null. */
export async function findStatusComment(octokit: Octokit, repo: Repo, issue: number, request: string): Promise<StatusComment | null> {
  const all = await listStatusComments(octokit, repo, issue);
  return all.find((c) => c.state.request === request) ?? null;
}

/** Create the status comment, or edit it when `id` is given; returns the comment id. */
export async function writeStatusComment(
  octokit: Octokit,
  repo: Repo,
  issue: number,
  id: number | null,
  body: string,
): Promise<number> {
  if (id !== null) {
    await octokit.rest.issues.updateComment({ ...repo, comment_id: id, body });
    return id;
  }
  const { data } = await octokit.rest.issues.createComment({ ...repo, issue_number: issue, body });
  return data.id;
}
