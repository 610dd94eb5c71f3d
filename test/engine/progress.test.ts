import { describe, expect, it } from "vitest";
import { createProgress, progressLine, transferLine } from "../../src/engine/progress.js";
import { taskResult as task } from "./helpers/results.js";

function sink() {
  const chunks: string[] = [];
  return { chunks, write: (c: string) => chunks.push(c) };
}

describe("progressLine", () => {
  it("prints a copied task with its size and time", () => {
    expect(progressLine(3, 20, task({}))).toBe(
      "[ 3/20] copied   docker.io/library/nginx:1.26 -> registry.example.com/mirror/nginx:1.26  12.3 MB in 1.4s",
    );
  });

  it("says how much was uploaded when blobs were reused", () => {
    expect(progressLine(1, 1, task({ bytes: 2_000_000 }))).toBe(
      "[1/1] copied   docker.io/library/nginx:1.26 -> registry.example.com/mirror/nginx:1.26  12.3 MB in 1.4s (2.0 MB uploaded)",
    );
  });

  it("prints a skipped task with the short digest it already had", () => {
    expect(progressLine(4, 20, task({ status: "skipped", bytes: 0 }))).toBe(
      "[ 4/20] skipped  docker.io/library/nginx:1.26 -> registry.example.com/mirror/nginx:1.26  (up to date, sha256:abcd1234ef56)",
    );
  });

  it("prints a failed task with its reason on one line and the platform of a platform entry", () => {
    const failed = task({
      status: "failed",
      source: "docker.io/library/ngnix:1.26",
      target: "registry.example.com/mirror/ngnix:1.26-linux-arm64",
      platform: "linux/arm64",
      targetDigest: null,
      sourceDigest: null,
      error: "source not found: docker.io/library/ngnix:1.26\n  (manifest unknown)",
    });
    expect(progressLine(5, 20, failed)).toBe(
      "[ 5/20] failed   docker.io/library/ngnix:1.26 [linux/arm64] -> registry.example.com/mirror/ngnix:1.26-linux-arm64: " +
        "source not found: docker.io/library/ngnix:1.26 (manifest unknown)",
    );
  });
});

describe("createProgress", () => {
  it("writes one newline-terminated line per finished task with a running count, and no carriage returns", () => {
    const out = sink();
    let clock = 1_000;
    const progress = createProgress({ total: 3, stream: out, now: () => clock });
    const tasks = [task({}), task({ status: "skipped", bytes: 0 }), task({ status: "failed", error: "denied", bytes: 0 })];
    for (const t of tasks) progress.start(t);
    expect(out.chunks).toEqual([]);
    for (const t of tasks) progress.done(t);
    clock += 65_000;
    progress.finish();
    const text = out.chunks.join("");
    expect(text).not.toContain("\r");
    expect(text.split("\n")).toEqual([
      expect.stringMatching(/^\[1\/3\] copied   /),
      expect.stringMatching(/^\[2\/3\] skipped  /),
      expect.stringMatching(/^\[3\/3\] failed   .*: denied$/),
      "done: 1 copied, 1 skipped, 1 failed; 12.3 MB uploaded in 1m05s",
      "",
    ]);
  });

  it("counts tasks started but never reported as unfinished", () => {
    const out = sink();
    const progress = createProgress({ total: 2, stream: out, now: () => 0 });
    progress.start(task({}));
    progress.start(task({}));
    progress.done(task({ bytes: 1_500 }));
    progress.finish();
    expect(out.chunks.at(-1)).toBe("done: 1 copied, 0 skipped, 0 failed, 1 unfinished; 1.5 KB uploaded in 0.0s\n");
  });
});

describe("transfer lines", () => {
  it("say how many copies run, the bytes moved and the rate, on one plain line", () => {
    expect(transferLine({ inFlight: 3, bytes: 536_870_912, bytesPerSecond: 48_200_000 })).toBe("  ... 3 copies in flight: 536.9 MB moved, 48.2 MB/s");
    expect(transferLine({ inFlight: 1, bytes: 1_500, bytesPerSecond: 999.6 })).toBe("  ... 1 copy in flight: 1.5 KB moved, 1.0 KB/s");
  });

  it("are written between task lines without carriage returns", () => {
    const out = sink();
    const progress = createProgress({ total: 2, stream: out, now: () => 0 });
    progress.start({ source: "a", target: "b" });
    progress.transfer?.({ inFlight: 1, bytes: 10_000_000, bytesPerSecond: 1_000_000 });
    progress.done(task({}));
    expect(out.chunks.join("")).not.toContain("\r");
    expect(out.chunks[0]).toBe("  ... 1 copy in flight: 10.0 MB moved, 1.0 MB/s\n");
  });
});
