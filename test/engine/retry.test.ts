import { describe, expect, it } from "vitest";
import { backoffDelay, withRetry } from "../../src/engine/retry.js";

const transient = Object.assign(new Error("503 Service Unavailable"), { transient: true });
const permanent = Object.assign(new Error("401 Unauthorized"), { transient: false });
const isTransient = (e: unknown) => (e as { transient?: boolean }).transient === true;

describe("withRetry", () => {
  it("retries transient failures with growing delays, then succeeds", async () => {
    const delays: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw transient;
        return "ok";
      },
      { retries: 3, baseMs: 100, isTransient, sleep: async (ms) => void delays.push(ms), random: () => 1 },
    );
    expect(value).toBe("ok");
    expect(calls).toBe(3);
    expect(delays).toEqual([100, 200]);
  });

  it("fails fast on a permanent error", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw permanent;
        },
        { retries: 5, isTransient, sleep: async () => undefined },
      ),
    ).rejects.toBe(permanent);
    expect(calls).toBe(1);
  });

  it("gives up after the configured retries and throws the last error", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw transient;
        },
        { retries: 2, isTransient, sleep: async () => undefined },
      ),
    ).rejects.toBe(transient);
    expect(calls).toBe(3);
  });
});

describe("backoffDelay", () => {
  it("doubles per attempt, is jittered into [c/2, c], and is capped", () => {
    expect(backoffDelay(0, 1000, 30_000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1000, 30_000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 30_000, () => 1)).toBe(8000);
    expect(backoffDelay(10, 1000, 30_000, () => 1)).toBe(30_000);
  });
});
