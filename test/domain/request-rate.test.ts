/** The hourly limit's rule: earlier accepted requests in GitHub's order, refused ones never counted. */
import { describe, expect, it } from "vitest";
import { HOUR_MS, judge, type RequestRecord } from "../../src/domain/request-rate.js";

const NOW = Date.parse("2026-03-01T10:00:00Z");
const min = (m: number) => NOW - m * 60_000;
const rec = (at: number, order: number, outcome: RequestRecord["outcome"]): RequestRecord => ({ at, order, outcome });

describe("judge", () => {
  it("a burst of N from one person serves the first `limit` in GitHub's order and refuses the rest, whoever judges first", () => {
    // Six comments in the same second, none answered yet: every process sees the same six pending.
    const burst = [6, 1, 4, 2, 5, 3].map((n) => rec(NOW, 9000 + n, "pending"));
    const verdicts = burst.map((r) => [r.order, judge(r, burst, 5, HOUR_MS, NOW).allowed]);
    expect(Object.fromEntries(verdicts)).toEqual({ 9001: true, 9002: true, 9003: true, 9004: true, 9005: true, 9006: false });
  });

  it("counts only earlier requests, never later ones", () => {
    const later = [1, 2, 3].map((n) => rec(NOW + n * 1000, n, "accepted"));
    expect(judge(rec(NOW, 100, "pending"), later, 1, HOUR_MS, NOW).allowed).toBe(true);
  });

  it("does not count refused requests, or accepted ones older than the hour before the request", () => {
    const records = [rec(min(61), 1, "accepted"), rec(min(30), 2, "refused"), rec(min(20), 3, "refused"), rec(min(10), 4, "accepted")];
    expect(judge(rec(NOW, 10, "pending"), records, 2, HOUR_MS, NOW).allowed).toBe(true);
    expect(judge(rec(NOW, 10, "pending"), records, 1, HOUR_MS, NOW)).toEqual({ allowed: false, retryAfterMs: 50 * 60_000 });
  });

  it("judges a pending request by its own hour, so one refused in a burst leaves room for a later one", () => {
    // Limit 1: accepted at -59 min; pending at -58 is refused (one in its hour); 61 minutes after the first, nothing counts.
    const records = [rec(min(59), 1, "accepted"), rec(min(58), 2, "pending")];
    expect(judge(rec(min(-2), 3, "pending"), records, 1, HOUR_MS, NOW).allowed).toBe(true);
  });

  it("says when the next request would be allowed", () => {
    const records = [rec(min(45), 1, "accepted"), rec(min(15), 2, "accepted"), rec(min(5), 3, "accepted")];
    expect(judge(rec(NOW, 4, "pending"), records, 2, HOUR_MS, NOW)).toEqual({ allowed: false, retryAfterMs: 45 * 60_000 });
  });
});
