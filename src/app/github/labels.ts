/** The status labels of a request issue: exactly one of them at a time. */
import { httpStatus, type Octokit, type Repo } from "./client.js";

/** Label names the app sets, by request status. */
export const STATUS_LABELS = {
  awaiting: "mirror:awaiting-approval",
  queued: "mirror:queued",
  done: "mirror:done",
  failed: "mirror:failed",
} as const;

export type StatusLabel = (typeof STATUS_LABELS)[keyof typeof STATUS_LABELS];

const ALL: readonly string[] = Object.values(STATUS_LABELS);

/**
 * Make `label` the issue's only status label; `current` are the label names it has now
 * (from the payload), so only labels actually present are removed.
 */
export async function setStatusLabel(
  octokit: Octokit,
  repo: Repo,
  issue: number,
  label: StatusLabel,
  current: readonly string[],
): Promise<void> {
  for (const name of current) {
    if (name === label || !ALL.includes(name)) continue;
    try {
      await octokit.rest.issues.removeLabel({ ...repo, issue_number: issue, name });
    } catch (err) {
      // Someone removed it meanwhile: the goal is reached.
      if (httpStatus(err) !== 404) throw err;
    }
  }
  if (!current.includes(label)) await octokit.rest.issues.addLabels({ ...repo, issue_number: issue, labels: [label] });
}

/** Label names from a payload's `labels` array (entries may be objects or, rarely, strings). */
export function labelNames(labels: ReadonlyArray<{ name: string } | string> | undefined): string[] {
  return (labels ?? []).map((l) => (typeof l === "string" ? l : l.name));
}
