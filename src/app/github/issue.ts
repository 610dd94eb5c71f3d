/** Plain issue operations: a reply, the current labels and state, closing. */
import type { Octokit, Repo } from "./client.js";

/** Post a comment on an issue or pull request. */
export async function reply(octokit: Octokit, repo: Repo, issue: number, body: string): Promise<void> {
  await octokit.rest.issues.createComment({ ...repo, issue_number: issue, body });
}

/** Label names and state of an issue or pull request, read fresh. */
export async function issueSnapshot(octokit: Octokit, repo: Repo, issue: number): Promise<{ labels: string[]; open: boolean }> {
  const { data } = await octokit.rest.issues.get({ ...repo, issue_number: issue });
  return { labels: data.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))), open: data.state === "open" };
}

/** Close an issue as completed. */
export async function closeIssue(octokit: Octokit, repo: Repo, issue: number): Promise<void> {
  await octokit.rest.issues.update({ ...repo, issue_number: issue, state: "closed", state_reason: "completed" });
}
