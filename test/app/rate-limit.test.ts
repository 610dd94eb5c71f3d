import { describe, expect, it } from "vitest";
import { HOUR_MS, MemoryRateLimitStore, senderKey } from "../../src/app/rate-limit.js";

describe("MemoryRateLimitStore", () => {
  it("allows `limit` requests per sliding window and says when the next one is allowed", () => {
    const store = new MemoryRateLimitStore();
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) expect(store.hit("a", t0 + i * 1000, HOUR_MS, 3).allowed).toBe(true);
    expect(store.hit("a", t0 + 10_000, HOUR_MS, 3)).toEqual({ allowed: false, retryAfterMs: HOUR_MS - 10_000 });
    expect(store.hit("b", t0 + 10_000, HOUR_MS, 3).allowed).toBe(true);
    expect(store.hit("a", t0 + HOUR_MS + 1, HOUR_MS, 3).allowed).toBe(true);
  });

  it("keeps at most maxKeys keys", () => {
    const store = new MemoryRateLimitStore(2);
    store.hit("a", 1, HOUR_MS, 1);
    store.hit("b", 2, HOUR_MS, 1);
    store.hit("c", 3, HOUR_MS, 1);
    // "a" was evicted, so it may ask again.
    expect(store.hit("a", 4, HOUR_MS, 1).allowed).toBe(true);
  });

  it("keys senders per repository, case-insensitively", () => {
    expect(senderKey("Org/Repo", "Carl")).toBe("org/repo#carl");
  });
});
