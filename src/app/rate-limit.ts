/**
 * How many requests one sender may make per hour. The store sits behind an interface so a
 * short-lived runner (the Actions mode) can swap the in-memory window for a persistent one.
 */

/** One sliding-window counter per key. */
export interface RateLimitStore {
  /** Record one request for `key` at `now` unless `limit` requests already fall in the window. */
  hit(key: string, now: number, windowMs: number, limit: number): RateDecision;
}

/** Whether the request may go ahead and, if not, when the oldest one leaves the window. */
export interface RateDecision {
  readonly allowed: boolean;
  /** Milliseconds until one more request would be allowed; 0 when allowed. */
  readonly retryAfterMs: number;
}

/** One hour, the window of `policy.requestsPerHour`. */
export const HOUR_MS = 60 * 60 * 1000;

/**
 * A sliding window kept in memory; keys with no request left in the window are dropped, and
 * at most `maxKeys` keys are kept (the least recently used go first) so memory stays bounded.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #hits = new Map<string, number[]>();
  readonly #maxKeys: number;

  constructor(maxKeys = 10_000) {
    this.#maxKeys = maxKeys;
  }

  /** Record one request for `key` at `now` unless `limit` requests already fall in the window. */
  hit(key: string, now: number, windowMs: number, limit: number): RateDecision {
    const recent = (this.#hits.get(key) ?? []).filter((t) => t > now - windowMs);
    this.#hits.delete(key);
    if (recent.length >= limit) {
      this.#hits.set(key, recent);
      return { allowed: false, retryAfterMs: recent[0]! + windowMs - now };
    }
    recent.push(now);
    this.#hits.set(key, recent);
    this.#evict(now, windowMs);
    return { allowed: true, retryAfterMs: 0 };
  }

  #evict(now: number, windowMs: number): void {
    for (const [key, times] of this.#hits) {
      if (this.#hits.size <= this.#maxKeys && times.some((t) => t > now - windowMs)) break;
      this.#hits.delete(key);
    }
  }
}

/** The rate-limit key of a sender in a repository: limits are configured per repository. */
export function senderKey(repoFullName: string, login: string): string {
  return `${repoFullName.toLowerCase()}#${login.toLowerCase()}`;
}
