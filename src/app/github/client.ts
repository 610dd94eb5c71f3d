/** What every GitHub helper needs: the authenticated client and the repository it acts on. */
import type { ProbotOctokit } from "probot";

/** The installation client Probot hands to handlers (`context.octokit`). */
export type Octokit = InstanceType<typeof ProbotOctokit>;

/** A repository, in the shape Octokit's parameters take. */
export interface Repo {
  readonly owner: string;
  readonly repo: string;
}

/** The HTTP status of an Octokit RequestError, or undefined for any other error. */
export function httpStatus(err: unknown): number | undefined {
  if (typeof err === "object" && err !== null && "status" in err && typeof err.status === "number") return err.status;
  return undefined;
}

/** The API's `message` of a RequestError, for logs and replies; never includes the request. */
export function apiMessage(err: unknown): string {
  if (typeof err === "object" && err !== null && "response" in err) {
    const data = (err as { response?: { data?: unknown } }).response?.data;
    if (typeof data === "object" && data !== null && "message" in data && typeof data.message === "string") return data.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Per-request option that keeps Probot's retry plugin off a call whose failure we handle. */
export const NO_RETRY = { retries: 0 } as const;
