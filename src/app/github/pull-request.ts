/**
 * The bot pull request that proposes a community request's lines for a maintainer to merge
 * or `/approve`. Its branch and body name the request, so later events find their way back.
 */
import { httpStatus, type Octokit, type Repo } from "./client.js";
import { commitLines } from "./images-file.js";
import type { Operation } from "./setup-problem.js";

/** Opening the bot pull request failed at `operation`; `cause` is GitHub's error. Nothing it created is left. */
export class PullRequestError extends Error {
  constructor(
    readonly operation: Extract<Operation, "branch" | "commit" | "pull-request">,
    readonly error: unknown,
  ) {
    super(`${operation} failed`, { cause: error });
    this.name = "PullRequestError";
  }
}

const BRANCH_PREFIX = "mirrorbot/request-";

/** The bot branch of a request. @example botBranch("12-345") // "mirrorbot/request-12-345" */
export function botBranch(request: string): string {
  return `${BRANCH_PREFIX}${request}`;
}

/** The request id of a bot branch, or null for any other branch. */
export function requestOfBranch(branch: string): string | null {
  const match = /^mirrorbot\/request-(\d+-[A-Za-z0-9]+)$/.exec(branch);
  return match ? match[1]! : null;
}

/** A pull request the app opened or found. */
export interface PullLink {
  readonly number: number;
  readonly url: string;
}

/**
 * Branch off `base`, commit the lines to `path` there, open the pull request. A branch or a
 * pull request left by an earlier delivery of the same request is reused. When a step fails
 * (a missing permission, a repository that does not let the token open pull requests), the
 * branch is deleted again, so no branch is left without its pull request; the error says
 * which step failed (PullRequestError).
 */
export async function openRequestPullRequest(
  octokit: Octokit,
  repo: Repo,
  options: {
    base: string;
    request: string;
    path: string;
    lines: readonly string[];
    message: (added: string[]) => string;
    title: string;
    body: string;
    attempts: number;
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<PullLink> {
  const branch = botBranch(options.request);
  let created = false;
  try {
    const { data: ref } = await octokit.rest.git.getRef({ ...repo, ref: `heads/${options.base}` });
    await octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: ref.object.sha });
    created = true;
  } catch (err) {
    if (httpStatus(err) !== 422) throw new PullRequestError("branch", err); // 422: the branch exists from an earlier attempt
  }
  const { path, lines, message, attempts, sleep } = options;
  try {
    await commitLines(octokit, repo, { path, branch, lines, message, attempts, ...(sleep ? { sleep } : {}) });
  } catch (err) {
    throw await withoutBranch(octokit, repo, branch, created, new PullRequestError("commit", err));
  }
  try {
    const { data } = await octokit.rest.pulls.create({ ...repo, base: options.base, head: branch, title: options.title, body: options.body });
    return { number: data.number, url: data.html_url };
  } catch (err) {
    if (httpStatus(err) === 422) {
      const { data } = await octokit.rest.pulls.list({ ...repo, head: `${repo.owner}:${branch}`, state: "open" });
      const open = data[0];
      if (open) return { number: open.number, url: open.html_url };
    }
    // Whoever made the branch, it has no pull request now: nothing should point at it.
    throw await withoutBranch(octokit, repo, branch, true, new PullRequestError("pull-request", err));
  }
}

/** Delete `branch` when `owned`, then hand back `error` to throw (a failed delete is logged by the caller's error only). */
async function withoutBranch(octokit: Octokit, repo: Repo, branch: string, owned: boolean, error: PullRequestError): Promise<PullRequestError> {
  if (!owned) return error;
  try {
    await octokit.rest.git.deleteRef({ ...repo, ref: `heads/${branch}` });
  } catch (err) {
    // 422: already gone. Anything else leaves the branch; the error that brought us here matters more.
    if (httpStatus(err) !== 422) return Object.assign(error, { branchLeft: branch });
  }
  return error;
}

/** Close a pull request, with a comment saying why. */
export async function closePullRequest(octokit: Octokit, repo: Repo, number: number, comment: string): Promise<void> {
  await octokit.rest.issues.createComment({ ...repo, issue_number: number, body: comment });
  await octokit.rest.pulls.update({ ...repo, pull_number: number, state: "closed" });
}

/** What a pull request does to one file. */
export interface FileChange {
  /** It adds, modifies, or renames to or from the file. */
  readonly touched: boolean;
  /**
   * The lines its diff adds to the file (against the merge base, so commits on the base
   * branch since are not among them), or null when GitHub sent no patch (a large diff).
   */
  readonly added: string[] | null;
}

/** What the pull request does to `path`, from its file list (the diff GitHub shows). */
export async function fileChange(octokit: Octokit, repo: Repo, number: number, path: string): Promise<FileChange> {
  const files = await octokit.paginate(octokit.rest.pulls.listFiles, { ...repo, pull_number: number, per_page: 100 });
  const file = files.find((f) => f.filename === path || f.previous_filename === path);
  if (!file) return { touched: false, added: [] };
  if (file.filename !== path) return { touched: true, added: [] }; // renamed away: adds nothing here
  if (file.patch === undefined) return { touched: true, added: null };
  const added = file.patch
    .split("\n")
    .filter((line) => line.startsWith("+") && !line.startsWith("+++"))
    .map((line) => line.slice(1));
  return { touched: true, added };
}

/** The first parent of a commit: the base branch before a merge or squash commit landed. */
export async function firstParent(octokit: Octokit, repo: Repo, sha: string): Promise<string | null> {
  const { data } = await octokit.rest.repos.getCommit({ ...repo, ref: sha });
  return data.parents[0]?.sha ?? null;
}
