/**
 * One status comment per request, found again by its hidden marker and edited in place.
 * Only comments that START with the marker and were written by the app's own account count:
 * anyone (another bot included) can write a marker into a comment of their own.
 */
import { MARKER_PREFIX, readState, requestMarker, type RequestState, stateComment } from "../state.js";
import type { Octokit, Repo } from "./client.js";
import { writtenBy, type IdentitySource } from "./identity.js";

/** A status comment and the state it carries. */
export interface StatusComment {
  readonly id: number;
  readonly state: RequestState;
  /** The comment's whole body, to amend it without reading it again. */
  readonly body: string;
}

/**
 * Every status comment on an issue, oldest first. The app's identity is looked up only when
 * some bot comment starts with a marker, so issues without status comments cost no extra call.
 */
export async function listStatusComments(octokit: Octokit, repo: Repo, issue: number, identity: IdentitySource): Promise<StatusComment[]> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: issue, per_page: 100 });
  const candidates = comments.filter((c) => c.user?.type === "Bot" && c.body?.startsWith(MARKER_PREFIX));
  if (candidates.length === 0) return [];
  const self = await identity(octokit);
  const found: StatusComment[] = [];
  for (const comment of candidates) {
    if (!writtenBy(comment, self)) continue;
    const state = readState(comment.body ?? "");
    if (state && state.issue === issue) found.push({ id: comment.id, state, body: comment.body ?? "" });
  }
  return found;
}

/** The status comment of one request, or null. */
export async function findStatusComment(
  octokit: Octokit,
  repo: Repo,
  issue: number,
  request: string,
  identity: IdentitySource,
): Promise<StatusComment | null> {
  const all = await listStatusComments(octokit, repo, issue, identity);
  return all.find((c) => c.state.request === request) ?? null;
}

/**
 * Mark a failed request superseded by `by`, which mirrored every line it failed on: the state
 * says so (it no longer holds the issue open or labelled failed) and a line under the old
 * result tells people where the images went; the result table above it stays as it was.
 */
export async function markSuperseded(octokit: Octokit, repo: Repo, comment: StatusComment, by: string): Promise<void> {
  const state: RequestState = { ...comment.state, status: "superseded" };
  const note = `**Superseded:** request \`${by}\` mirrored every image that failed here.`;
  const body = `${comment.body.replace(STATE_LINE_RE, () => stateComment(state))}\n\n${note}`;
  await octokit.rest.issues.updateComment({ ...repo, comment_id: comment.id, body });
}

const STATE_LINE_RE = /<!-- mirrorbot:state \{.*?\} -->/;

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

/**
 * Post the first status comment of `request` and make sure it is the only one: two deliveries
 * of the same event (a redelivery, two replicas) may both get here, and GitHub's comment ids
 * decide which goes on. The loser deletes its comment. Returns the winner's comment id when
 * it is ours, null when another delivery got there first.
 */
export async function claimStatusComment(octokit: Octokit, repo: Repo, issue: number, request: string, body: string): Promise<number | null> {
  const { data: mine } = await octokit.rest.issues.createComment({ ...repo, issue_number: issue, body });
  const marker = requestMarker(request);
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: issue, per_page: 100 });
  const first = comments
    .filter((c) => c.user?.login === mine.user?.login && c.body?.startsWith(marker))
    .reduce<number>((low, c) => Math.min(low, c.id), mine.id);
  if (first === mine.id) return mine.id;
  await octokit.rest.issues.deleteComment({ ...repo, comment_id: mine.id });
  return null;
}
