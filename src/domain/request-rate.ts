/**
 * The hourly request limit (`policy.requestsPerHour`), as one rule both modes apply to what
 * GitHub shows, so any number of processes judging the same request agree without sharing
 * memory: a request is allowed when fewer than `limit` of the same person's EARLIER requests
 * (in GitHub's order: creation time, then id) were accepted within the hour before it.
 * Requests refused for the limit never count. A request whose outcome is not on GitHub yet
 * (its run is still starting) is judged by the same rule, in order, so a burst of N serves
 * the first `limit` and refuses the rest, whichever process looks.
 */

/** One hour, the window of `policy.requestsPerHour`. */
export const HOUR_MS = 60 * 60 * 1000;

/** What GitHub shows about one earlier request. */
export type RequestOutcome = "accepted" | "refused" | "pending";

/** A request, placed in GitHub's order. */
export interface RequestMark {
  /** When GitHub created the comment or issue that made the request (ms since the epoch). */
  readonly at: number;
  /** Its id, which breaks ties between requests created in the same second. */
  readonly order: number;
}

/** An earlier request and what became of it. */
export interface RequestRecord extends RequestMark {
  readonly outcome: RequestOutcome;
}

/** Whether the request may go ahead and, if not, when one more would be allowed. */
export interface RateDecision {
  readonly allowed: boolean;
  /** Milliseconds from `now` until one more request would be allowed; 0 when allowed. */
  readonly retryAfterMs: number;
}

/** True when `a` comes before `b` in GitHub's order. */
export function before(a: RequestMark, b: RequestMark): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

/**
 * Judge `request` against `records` (the same person's requests; the request itself and
 * later ones are ignored). `now` only turns the wait into a duration for the reply.
 * @example judge({at: 3, order: 3}, [{at: 1, order: 1, outcome: "pending"}, {at: 2, order: 2, outcome: "pending"}], 2, HOUR_MS, 3).allowed // false
 */
export function judge(request: RequestMark, records: readonly RequestRecord[], limit: number, windowMs: number, now: number): RateDecision {
  const earlier = records.filter((r) => before(r, request)).sort((a, b) => a.at - b.at || a.order - b.order);
  const accepted: number[] = [];
  const within = (mark: RequestMark) => accepted.filter((t) => t > mark.at - windowMs);
  for (const record of earlier) {
    if (record.outcome === "accepted" || (record.outcome === "pending" && within(record).length < limit)) accepted.push(record.at);
  }
  const counted = within(request);
  if (counted.length < limit) return { allowed: true, retryAfterMs: 0 };
  // The request is refused until enough of the counted ones leave the window.
  const freeAt = counted[counted.length - limit]! + windowMs;
  return { allowed: false, retryAfterMs: Math.max(0, freeAt - now) };
}
