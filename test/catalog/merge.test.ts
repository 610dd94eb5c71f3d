import { describe, expect, it } from "vitest";
import { mergeRuns } from "../../src/catalog/merge.js";
import { parseCatalog } from "../../src/catalog/schema.js";
import { digest, run, task } from "./fixtures.js";

const now = new Date("2026-12-01T12:00:00.000Z");
const repository = "https://github.com/octo/mirror";
const merge = (runs: Parameters<typeof mergeRuns>[1], previous: Parameters<typeof mergeRuns>[0] = null) => mergeRuns(previous, runs, { now, repository });

describe("mergeRuns", () => {
  it("turns a run's tasks into rows with one entry per target, valid against the schema", () => {
    const catalog = merge([
      run("101", "2026-12-01T10:00:00.000Z", [
        task(),
        task({ targetName: "aliyun", target: "registry.cn-hangzhou.aliyuncs.com/octo/nginx:1.26", status: "skipped", size: null, bytes: 0 }),
      ]),
    ]);
    expect(parseCatalog(JSON.parse(JSON.stringify(catalog)))).toEqual(catalog);
    expect(catalog.summary).toEqual({ images: 1, fresh: 1, behind: 0, failed: 0 });
    expect(catalog.runs).toEqual([{ key: "101", finishedAt: "2026-12-01T10:00:00.000Z", url: "https://github.com/octo/mirror/actions/runs/101" }]);
    const [row] = catalog.images;
    expect(row).toMatchObject({ id: "docker.io/library/nginx:1.26", source: "docker.io/library/nginx:1.26", platform: null, platforms: [], rule: null });
    expect(row!.upstream).toEqual({ digest: digest("a"), checkedAt: "2026-12-01T10:00:00.000Z", run: "https://github.com/octo/mirror/actions/runs/101" });
    expect(row!.targets).toEqual([
      {
        name: "aliyun",
        reference: "registry.cn-hangzhou.aliyuncs.com/octo/nginx:1.26",
        digest: digest("a"),
        size: null,
        lastCopied: null,
        lastChecked: "2026-12-01T10:00:00.000Z",
        lastStatus: "skipped",
        error: null,
        run: "https://github.com/octo/mirror/actions/runs/101",
        freshness: { state: "fresh", reason: null, run: "https://github.com/octo/mirror/actions/runs/101" },
      },
      {
        name: "hub",
        reference: "registry.example.com/mirror/nginx:1.26",
        digest: digest("a"),
        size: 1000,
        lastCopied: "2026-12-01T10:00:00.000Z",
        lastChecked: "2026-12-01T10:00:00.000Z",
        lastStatus: "copied",
        error: null,
        run: "https://github.com/octo/mirror/actions/runs/101",
        freshness: { state: "fresh", reason: null, run: "https://github.com/octo/mirror/actions/runs/101" },
      },
    ]);
  });

  it("keeps the rows a selective run did not touch, and updates the ones it did", () => {
    const first = merge([run("1", "2026-12-01T08:00:00.000Z", [task(), task({ source: "docker.io/library/redis:7", target: "registry.example.com/mirror/redis:7" })])]);
    const second = merge([run("2", "2026-12-01T09:00:00.000Z", [task({ status: "skipped", sourceDigest: digest("a"), targetDigest: digest("a"), size: null })])], first);
    expect(second.images.map((i) => i.id)).toEqual(["docker.io/library/nginx:1.26", "docker.io/library/redis:7"]);
    const nginx = second.images[0]!.targets[0]!;
    expect(nginx).toMatchObject({ lastChecked: "2026-12-01T09:00:00.000Z", lastCopied: "2026-12-01T08:00:00.000Z", size: 1000, lastStatus: "skipped" });
    expect(second.images[1]!.targets[0]!.lastChecked).toBe("2026-12-01T08:00:00.000Z");
    expect(second.runs.map((r) => r.key)).toEqual(["2", "1"]);
  });

  it("gives the same catalogue whatever order shards and runs are merged in, and merging twice changes nothing", () => {
    const a = run("7", "2026-12-01T10:00:00.000Z", [task()]);
    const b = run("7", "2026-12-01T10:00:05.000Z", [task({ source: "docker.io/library/redis:7", target: "registry.example.com/mirror/redis:7" })]);
    const c = run("8", "2026-12-01T11:00:00.000Z", [task({ sourceDigest: digest("b"), targetDigest: digest("b") })]);
    const forward = merge([a, b, c]);
    expect(merge([c, b, a])).toEqual(forward);
    expect(merge([b], merge([c], merge([a])))).toEqual(forward);
    expect(merge([a, b, c], forward)).toEqual(forward);
    expect(forward.images[0]!.targets[0]!.digest).toBe(digest("b"));
  });

  it("never lets an older result overwrite a newer one", () => {
    const newer = merge([run("9", "2026-12-01T11:00:00.000Z", [task({ sourceDigest: digest("b"), targetDigest: digest("b") })])]);
    const late = merge([run("8", "2026-12-01T10:00:00.000Z", [task({ status: "failed", targetDigest: null, error: "boom" })])], newer);
    expect(late.images[0]!.targets[0]).toMatchObject({ digest: digest("b"), lastStatus: "copied", lastChecked: "2026-12-01T11:00:00.000Z" });
    expect(late.images[0]!.upstream.digest).toBe(digest("b"));
  });

  it("marks a failed target failed with the reason and the run, keeping the digest it still holds", () => {
    const first = merge([run("1", "2026-12-01T08:00:00.000Z", [task()])]);
    const failed = merge([run("2", "2026-12-01T09:00:00.000Z", [task({ status: "failed", sourceDigest: digest("b"), targetDigest: null, size: null, error: "target registry said DENIED: requested access to the resource is denied" })])], first);
    const target = failed.images[0]!.targets[0]!;
    expect(target).toMatchObject({ digest: digest("a"), size: 1000, lastCopied: "2026-12-01T08:00:00.000Z", lastStatus: "failed" });
    expect(target.freshness).toEqual({
      state: "failed",
      reason: "target registry said DENIED: requested access to the resource is denied",
      run: "https://github.com/octo/mirror/actions/runs/2",
    });
    expect(failed.summary).toEqual({ images: 1, fresh: 0, behind: 0, failed: 1 });
  });

  it("marks a target behind when a later check of the same image saw upstream move", () => {
    const catalog = merge([
      run("1", "2026-12-01T08:00:00.000Z", [task(), task({ targetName: "aliyun", target: "example.cn/octo/nginx:1.26" })]),
      // A run that synced only the "hub" target saw nginx:1.26 move to a new digest.
      run("2", "2026-12-01T09:00:00.000Z", [task({ sourceDigest: digest("b"), targetDigest: digest("b") })]),
    ]);
    const [aliyun, hub] = catalog.images[0]!.targets;
    expect(hub!.freshness.state).toBe("fresh");
    expect(aliyun!.freshness).toEqual({
      state: "behind",
      reason: `upstream is ${digest("b")} since 2026-12-01T09:00:00.000Z; the target holds ${digest("a")}`,
      run: "https://github.com/octo/mirror/actions/runs/2",
    });
    expect(catalog.summary).toEqual({ images: 1, fresh: 0, behind: 1, failed: 0 });
  });

  it("keeps platform entries as their own rows and lists tag rules with the tags they matched", () => {
    const catalog = merge([
      run("1", "2026-12-01T08:00:00.000Z", [
        task({ platform: "linux/arm64", target: "registry.example.com/mirror/nginx:1.26-linux-arm64" }),
        task({ source: "docker.io/library/redis:7.2", target: "registry.example.com/mirror/redis:7.2", rule: "redis:~7", platforms: ["linux/arm64", "linux/amd64"] }),
        task({ source: "docker.io/library/redis:7.4", target: "registry.example.com/mirror/redis:7.4", rule: "redis:~7" }),
      ]),
    ]);
    expect(catalog.images.map((i) => [i.id, i.platforms, i.rule])).toEqual([
      ["docker.io/library/nginx:1.26|linux/arm64", ["linux/arm64"], null],
      ["docker.io/library/redis:7.2", ["linux/amd64", "linux/arm64"], "redis:~7"],
      ["docker.io/library/redis:7.4", [], "redis:~7"],
    ]);
    expect(catalog.rules).toEqual([{ rule: "redis:~7", tags: ["docker.io/library/redis:7.2", "docker.io/library/redis:7.4"] }]);
  });
});

describe("parseCatalog", () => {
  it("refuses another version and links that are not http(s)", () => {
    const good = merge([run("1", "2026-12-01T08:00:00.000Z", [task()])]);
    expect(() => parseCatalog({ ...good, version: 2 })).toThrow();
    const evil = structuredClone(good);
    evil.images[0]!.targets[0]!.run = "javascript:alert(1)";
    expect(() => parseCatalog(evil)).toThrow(/images.*targets.*run|Invalid URL/s);
  });
});
