/**
 * The per-sender hourly limit when every event is a fresh process. The app's store is a
 * sliding window in memory, which a workflow step would start empty each time. So before the
 * event is handled, the sender's requests of the last hour are counted from the status
 * comments the bot left in the repository (each request gets exactly one, carrying its
 * requester in its state), and the window is filled with their times. Runs for a burst of
 * comments or issues start together, before any has written its status comment, so the
 * requester's own `/sync` and `/retry` comments and `mirror` issues are counted too, and the
 * larger count wins.
 */
import type { Logger } from "probot";
import { z } from "zod";
import type { Octokit, Repo } from "../app/github/client.js";
import { parseCommands } from "../app/commands.js";
import { REQUEST_LABEL } from "../app/issue-form.js";
import { ACTIONS_BOT_LOGIN, writtenBy } from "../app/github/identity.js";
import { HOUR_MS, MemoryRateLimitStore, senderKey } from "../app/rate-limit.js";
import { readState } from "../app/state.js";

/** Comment listings to read at most: 500 bot and human comments in one hour is a busy repository. */
export const MAX_PAGES = 5;
const PER_PAGE = 100;

/** One comment of the repository-wide listing, as far as counting needs it. */
interface ListedComment {
  readonly id?: number;
  readonly body?: string | null;
  readonly created_at: string;
  readonly user?: { readonly login: string; readonly type?: string } | null;
}

/** In Actions mode the app writes as the workflow token's account. */
const SELF = { login: ACTIONS_BOT_LOGIN, appId: null };

/**
 * Times (ms) of `login`'s requests in `repo` within `windowMs` before `now`: status comments
 * written by `github-actions[bot]` that start with a request marker and whose state names
 * `login` as requester (requests refused for the limit itself do not count, as in the
 * in-memory store), or `login`'s own `/sync` and `/retry` comments and `mirror` issues,
 * leaving out the comment or issue being handled, whichever are more.
 */
export async function recentRequestTimes(
  octokit: Octokit,
  repo: Repo,
  login: string,
  window: { now: number; ms: number; exclude?: { comment?: number | undefined; issue?: number | undefined } },
  log?: Logger,
): Promise<number[]> {
  const { now } = window;
  const since = now - window.ms;
  const excludeComment = window.exclude?.comment;
  const statuses: number[] = [];
  // What the requester did: mirror issues opened, then /sync and /retry comments (below).
  const asked = await recentIssueTimes(octokit, repo, login, since, now, window.exclude?.issue, log);
  const who = login.toLowerCase();
  const longer = () => (asked.length > statuses.length ? asked : statuses).sort((a, b) => a - b);
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
    for (const comment of comments) {
      const created = Date.parse(comment.created_at);
      if (!(created > since && created <= now) || !comment.body) continue;
      if (writtenBy(comment, SELF)) {
        const state = readState(comment.body);
        if (state && state.status !== "limited" && state.requester.login.toLowerCase() === who) statuses.push(created);
      } else if (comment.id !== excludeComment && comment.user?.type !== "Bot" && comment.user?.login.toLowerCase() === who) {
        if (makesRequest(comment.body)) asked.push(created);
      }
    }
    const oldest = comments.at(-1);
    if (comments.length < PER_PAGE || (oldest && Date.parse(oldest.created_at) <= since)) return longer();
  }
  log?.warn({ pages: MAX_PAGES }, "more comments in the last hour than the rate limit reads; counting the newest only");
  return longer();
}

/** Creation times of `login`'s `mirror` issues in the window, but `exclude`; one page, newest first. */
async function recentIssueTimes(octokit: Octokit, repo: Repo, login: string, since: number, now: number, exclude: number | undefined, log?: Logger): Promise<number[]> {
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
      .filter((issue) => issue.pull_request === undefined && issue.number !== exclude)
      .map((issue) => Date.parse(issue.created_at))
      .filter((created) => created > since && created <= now);
  } catch (err) {
    // The status comments still count; an unreadable listing must not stop every request.
    log?.warn({ err }, "could not list the requester's recent issues; counting comments only");
    return [];
  }
}

/** True when a comment makes a request: its first command decides, as in the handler, and /approve makes none. */
function makesRequest(body: string): boolean {
  const first = parseCommands(body)[0];
  return first !== undefined && first.kind !== "approve";
}

/** A store holding `times` for `key` already, as if this process had seen those requests. */
export function seededStore(key: string, times: readonly number[]): MemoryRateLimitStore {
  const store = new MemoryRateLimitStore();
  // Oldest first, as the store expects; an infinite limit records each without refusing any.
  for (const t of [...times].sort((a, b) => a - b)) store.hit(key, t, HOUR_MS, Number.POSITIVE_INFINITY);
  return store;
}

/** What of an event's payload decides whether it may make a request, and whose. */
const requestPayloadSchema = z
  .object({
    repository: z
      .object({
        name: z.string().describe("repository name"),
        full_name: z.string().describe('"owner/name", the scope of the rate-limit key'),
        owner: z.object({ login: z.string().describe("owner login") }).describe("repository owner"),
      })
      .describe("where the request would be made"),
    sender: z
      .object({ login: z.string().describe("who acted"), type: z.string().optional().describe('"User" or "Bot"') })
      .describe("who would make the request"),
    comment: z
      .object({ id: z.number().optional().describe("comment id, to leave it out of the count"), body: z.string().nullish().describe("comment text") })
      .optional()
      .describe("the comment, for issue_comment"),
    issue: z
      .object({
        number: z.number().optional().describe("issue number, to leave it out of the count"),
        user: z.object({ login: z.string().describe("the issue's author") }).nullish().describe("who opened the issue"),
      })
      .optional()
      .describe("the issue; for issues events its author is the requester, whoever edited it"),
  })
  .describe("the parts of an issues or issue_comment payload the limit needs");

/**
 * The rate-limit store for one event: seeded with the requester's recent requests (the
 * comment's sender, or the issue's author) when the event can make a request (an issue
 * event, or a `/sync` or `/retry` comment, by a person), else empty, which costs no API call.
 */
export async function storeForEvent(
  octokit: Octokit,
  event: { name: string; payload: unknown },
  now: number,
  log?: Logger,
): Promise<MemoryRateLimitStore> {
  if (event.name !== "issues" && event.name !== "issue_comment") return new MemoryRateLimitStore();
  const parsed = requestPayloadSchema.safeParse(event.payload);
  // A payload without these parts cannot make a request either; the app will say why, if anything.
  if (!parsed.success) return new MemoryRateLimitStore();
  const { repository, sender, comment, issue } = parsed.data;
  const canRequest = event.name === "issues" || (event.name === "issue_comment" && makesRequest(comment?.body ?? ""));
  if (!canRequest || sender.type === "Bot") return new MemoryRateLimitStore();
  // The app counts an issue form against the issue's author (an edit by someone else included).
  const requester = event.name === "issues" ? (issue?.user?.login ?? sender.login) : sender.login;
  const repo = { owner: repository.owner.login, repo: repository.name };
  const exclude = { comment: comment?.id, issue: issue?.number };
  const times = await recentRequestTimes(octokit, repo, requester, { now, ms: HOUR_MS, exclude }, log);
  log?.debug({ requester, requests: times.length }, "requests in the last hour");
  return seededStore(senderKey(repository.full_name, requester), times);
}
