/**
 * One person's recent requests in a repository, read from GitHub alone, for the hourly limit
 * (domain/request-rate.ts): their `/sync` and `/retry` comments and `mirror` issues, and the
 * status comments the app wrote for them, which say whether each was accepted. Nothing is
 * kept between events, so a restarted app, several replicas and one process per workflow
 * run all see the same history.
 */
import type { Logger } from "probot";
import { parseCommands } from "../commands.js";
import { REQUEST_LABEL } from "../issue-form.js";
import { readState } from "../state.js";
import type { RequestMark, RequestOutcome, RequestRecord } from "../../domain/request-rate.js";
import type { Octokit, Repo } from "./client.js";
import { writtenBy, type BotIdentity } from "./identity.js";

/** Comment listings to read at most: 500 comments in two hours is a busy repository. */
export const MAX_PAGES = 5;
const PER_PAGE = 100;

/**
 * How long a request with no status comment yet may still be in flight: the request job's
 * `timeout-minutes`. An older one never became a request (nothing to retry, no form) and
 * does not count.
 */
export const PENDING_MS = 10 * 60 * 1000;

/** The request being judged: whose it is, its place in GitHub's order, and what made it. */
export interface RequestAsk {
  readonly requester: string;
  readonly mark: RequestMark;
  /** The comment that made it, left out of the history. */
  readonly comment?: number;
  /** The issue whose form made it, left out of the history. */
  readonly issue?: number;
}

/** One comment of the repository-wide listing, as far as the history needs it. */
interface ListedComment {
  readonly id: number;
  readonly body?: string | null;
  readonly created_at: string;
  readonly issue_url: string;
  readonly user?: { readonly login: string; readonly type?: string } | null;
  readonly performed_via_github_app?: { readonly id: number } | null;
}

/** A status comment of the person's, with the request it answers. */
interface Status {
  readonly id: number;
  readonly request: string;
  readonly issue: number;
  readonly at: number;
  readonly outcome: RequestOutcome;
}

/**
 * The person's requests made within `windowMs` before `ask.mark` (twice the window is read,
 * so a request still in flight can be judged by the same rule), with their outcomes.
 */
export async function requestHistory(
  octokit: Octokit,
  repo: Repo,
  self: BotIdentity,
  ask: RequestAsk,
  window: { ms: number; now: number },
  log?: Logger,
): Promise<RequestRecord[]> {
  const since = ask.mark.at - 2 * window.ms;
  const who = ask.requester.toLowerCase();
  const asked: { key: string; issue: number; at: number; order: number }[] = [];
  const statuses: Status[] = [];
  for (const comment of await recentComments(octokit, repo, since, log)) {
    const created = Date.parse(comment.created_at);
    const issue = Number(/\/issues\/(\d+)$/.exec(comment.issue_url)?.[1] ?? Number.NaN);
    if (!comment.body || !Number.isInteger(issue)) continue;
    if (writtenBy(comment, self)) {
      const state = readState(comment.body);
      if (!state || state.requester.login.toLowerCase() !== who) continue;
      // Only the limit refuses a request; a rejected one passed the limit and counts.
      statuses.push({ id: comment.id, request: state.request, issue, at: created, outcome: state.status === "limited" ? "refused" : "accepted" });
    } else if (created > since && comment.id !== ask.comment && comment.user?.type !== "Bot" && comment.user?.login.toLowerCase() === who && makesRequest(comment.body)) {
      asked.push({ key: `${issue}-${comment.id}`, issue, at: created, order: comment.id });
    }
  }
  const byRequest = new Map(statuses.map((s) => [s.request, s]));
  const used = new Set<number>();
  const records: RequestRecord[] = [];
  const unanswered = (at: number): RequestOutcome | null => (window.now - at <= PENDING_MS ? "pending" : null);
  for (const a of asked) {
    const status = byRequest.get(a.key);
    if (status) used.add(status.id);
    const outcome = status?.outcome ?? unanswered(a.at);
    if (outcome) records.push({ at: a.at, order: a.order, outcome });
  }
  for (const issue of await recentIssues(octokit, repo, ask.requester, since, log)) {
    if (issue.number === ask.issue) continue;
    // A form's request id is `<issue>-<time of the edit>`: its first status on the issue answers the opening.
    const status = statuses.filter((s) => s.issue === issue.number && !used.has(s.id)).sort((a, b) => a.id - b.id)[0];
    if (status) used.add(status.id);
    const outcome = status?.outcome ?? unanswered(issue.at);
    if (outcome) records.push({ at: issue.at, order: issue.id, outcome });
  }
  // Requests whose comment or issue is not listed (an edited form, a merged pull request) count from their status comment.
  for (const s of statuses) if (!used.has(s.id)) records.push({ at: s.at, order: s.id, outcome: s.outcome });
  return records;
}

/** The repository's comments created after `since`, newest first, at most MAX_PAGES pages. */
async function recentComments(octokit: Octokit, repo: Repo, since: number, log?: Logger): Promise<ListedComment[]> {
  const all: ListedComment[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    // `since` filters on updated_at, so older comments edited later come too; created_at decides.
    const { data } = await octokit.rest.issues.listCommentsForRepo({
      ...repo,
      sort: "created",
      direction: "desc",
      since: new Date(since).toISOString(),
      per_page: PER_PAGE,
      page,
    });
    const comments = data as ListedComment[];
    all.push(...comments);
    const oldest = comments.at(-1);
    if (comments.length < PER_PAGE || (oldest && Date.parse(oldest.created_at) <= since)) return all;
  }
  log?.warn({ pages: MAX_PAGES }, "more comments in two hours than the rate limit reads; counting the newest only");
  return all;
}

/** The person's `mirror` issues opened after `since`; one page, newest first. */
async function recentIssues(octokit: Octokit, repo: Repo, login: string, since: number, log?: Logger): Promise<{ number: number; id: number; at: number }[]> {
  try {
    const { data } = await octokit.rest.issues.listForRepo({
      ...repo,
      creator: login,
      labels: REQUEST_LABEL,
      state: "all",
      sort: "created",
      direction: "desc",
      since: new Date(since).toISOString(),
      per_page: PER_PAGE,
    });
    return data
      .filter((issue) => issue.pull_request === undefined && Date.parse(issue.created_at) > since)
      .map((issue) => ({ number: issue.number, id: issue.id, at: Date.parse(issue.created_at) }));
  } catch (err) {
    // The comments still count; an unreadable listing must not stop every request.
    log?.warn({ err }, "could not list the requester's recent issues; counting comments only");
    return [];
  }
}

/** True when a comment makes a request: its first command decides, as in the handler, and /approve makes none. */
function makesRequest(body: string): boolean {
  const first = parseCommands(body)[0];
  return first !== undefined && first.kind !== "approve";
}
