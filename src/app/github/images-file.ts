/**
 * Read images.txt and commit lines to it through the contents API. A commit names the blob
 * sha it read; when someone else committed in between (409, or 422 for a file created or a
 * branch moved meanwhile) the file is read again, the lines re-applied and the commit
 * retried, a bounded number of times. Lines already present are never added twice.
 */
import { addEntries } from "../../domain/images-file.js";
import { httpStatus, NO_RETRY, type Octokit, type Repo } from "./client.js";

/** The text of a file at a ref, and its blob sha (null when the file does not exist). */
export interface FileSnapshot {
  readonly text: string;
  readonly sha: string | null;
}

/** A commit the app made. */
export interface CommitLink {
  readonly sha: string;
  readonly url: string;
}

/** Every attempt to commit met a conflict. */
export class CommitConflictError extends Error {}

/** Read `path` at `ref` (a branch, tag or sha); a missing file reads as empty. */
export async function readRepoFile(octokit: Octokit, repo: Repo, path: string, ref: string): Promise<FileSnapshot> {
  try {
    const { data } = await octokit.rest.repos.getContent({ ...repo, path, ref });
    if (Array.isArray(data) || data.type !== "file") throw new Error(`${path} is not a file`);
    if (!("content" in data) || data.encoding !== "base64") throw new Error(`${path} is too large to read through the contents API`);
    return { text: Buffer.from(data.content, "base64").toString("utf8"), sha: data.sha };
  } catch (err) {
    if (httpStatus(err) === 404) return { text: "", sha: null };
    throw err;
  }
}

/**
 * Add `lines` to `path` on `branch`; `message(added)` gives the commit message. Returns the
 * lines actually added and the commit, or no commit when every line was already there.
 */
export async function commitLines(
  octokit: Octokit,
  repo: Repo,
  options: { path: string; branch: string; lines: readonly string[]; message: (added: string[]) => string; attempts: number },
): Promise<{ added: string[]; commit: CommitLink | null }> {
  const { path, branch, lines, message, attempts } = options;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await readRepoFile(octokit, repo, path, branch);
    const { text, added } = addEntries(current.text, [...lines]);
    if (added.length === 0) return { added, commit: null };
    try {
      const { data } = await octokit.rest.repos.createOrUpdateFileContents({
        ...repo,
        path,
        branch,
        message: message(added),
        content: Buffer.from(text, "utf8").toString("base64"),
        ...(current.sha !== null ? { sha: current.sha } : {}),
        request: NO_RETRY,
      });
      return { added, commit: { sha: data.commit.sha ?? "", url: data.commit.html_url ?? "" } };
    } catch (err) {
      const status = httpStatus(err);
      if (status !== 409 && status !== 422) throw err;
    }
  }
  throw new CommitConflictError(`${path} on ${branch} kept changing; gave up after ${attempts} attempts`);
}
