import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MergeError, mergeResults } from "../../src/engine/merge.js";
import { blobsOfManifests, type Plan, planSchema, readPlan } from "../../src/engine/plan-file.js";
import { buildResult, syncResultSchema, type TaskResult } from "../../src/engine/result.js";

const D = (c: string) => `sha256:${c.repeat(64)}`;

function planned(id: number, image: string, action: "copy" | "skip" | "fail"): Plan["tasks"][number] {
  return {
    id, line: id + 1, source: `docker.io/library/${image}`, target: `reg.example.com/mirror/${image}`, targetName: "reg", platform: null, action,
    sourceDigest: action === "fail" ? null : D("a"), targetDigest: action === "skip" ? D("a") : null, mediaType: "", error: action === "fail" ? "source not found: docker.io/library/" + image : null,
    manifests: [], missingBytes: 0,
  };
}

const plan: Plan = {
  version: 1, request: "3-1", createdAt: "2026-12-02T10:00:00.000Z", force: false,
  tasks: [planned(0, "a:1", "copy"), planned(1, "b:1", "skip"), planned(2, "c:1", "copy"), planned(3, "d:1", "fail"), planned(4, "e:1", "copy")],
  seed: [4], shards: [{ tasks: [0], bytes: 1 }, { tasks: [2], bytes: 1 }],
  stats: { uniqueBytes: 3, seedBytes: 1, duplicateBytes: 0, planningMs: 0 },
};

function done(image: string): TaskResult {
  return { line: null, source: `docker.io/library/${image}`, target: `reg.example.com/mirror/${image}`, targetName: "reg", platform: null, status: "copied", sourceDigest: D("a"), targetDigest: D("a"), size: 10, bytes: 10, durationMs: 5, error: null };
}
const part = (name: string, tasks: TaskResult[], request: string | null = "3-1") => ({ name, result: buildResult(tasks, { request, startedAt: new Date("2026-12-02T10:01:00Z"), finishedAt: new Date("2026-12-02T10:05:00Z") }) });

describe("mergeResults", () => {
  it("lists every task of the plan once, in plan order, with planned skips and failures, and validates", () => {
    const merged = mergeResults(plan, [part("seed", [done("e:1")]), part("s1", [done("c:1")]), part("s0", [done("a:1")])]);
    expect(syncResultSchema.safeParse(merged).success).toBe(true);
    expect(merged.tasks.map((t) => [t.target.split("/").pop(), t.status])).toEqual([["a:1", "copied"], ["b:1", "skipped"], ["c:1", "copied"], ["d:1", "failed"], ["e:1", "copied"]]);
    expect(merged.tasks[3]!.error).toBe("source not found: docker.io/library/d:1");
    expect(merged).toMatchObject({ request: "3-1", startedAt: "2026-12-02T10:00:00.000Z", finishedAt: "2026-12-02T10:05:00.000Z" });
    expect(merged.summary).toEqual({ total: 5, copied: 3, skipped: 1, failed: 1, bytes: 30 });
  });

  it("reports the copies of a missing part as not run, naming the part", () => {
    const merged = mergeResults(plan, [part("s0", [done("a:1")])], new Date("2026-12-02T11:00:00Z"));
    expect(merged.tasks.filter((t) => t.status === "failed").map((t) => t.error)).toEqual([
      "not run: shard 1 reported no result (its job failed or was cancelled before writing one)",
      "source not found: docker.io/library/d:1",
      "not run: seed reported no result (its job failed or was cancelled before writing one)",
    ]);
    expect(merged.finishedAt).toBe("2026-12-02T11:00:00.000Z");
  });

  it("refuses a result of another request, of another plan, or a task reported twice", () => {
    expect(() => mergeResults(plan, [part("x", [done("a:1")], "9-9")])).toThrow(new MergeError('x is a result of request "9-9", but the plan is for "3-1"'));
    expect(() => mergeResults(plan, [part("x", [done("zzz:1")])])).toThrow(new MergeError("x reports reg.example.com/mirror/zzz:1, which this plan does not copy"));
    expect(() => mergeResults(plan, [part("x", [done("a:1")]), part("y", [done("a:1")])])).toThrow(new MergeError("reg.example.com/mirror/a:1 is reported by both x and y"));
  });
});

describe("the plan file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirrorbot-plan-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a copy placed twice or nowhere, and a skip placed in a shard", () => {
    const issues = (p: Plan) => planSchema.safeParse(p).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issues({ ...plan, shards: [{ tasks: [0, 2], bytes: 1 }, { tasks: [2, 1], bytes: 1 }] })).toEqual(["shards.1.tasks.0: task 2 is in two places", "shards.1.tasks.1: task 1 is not a copy"]);
    expect(issues({ ...plan, seed: [] })).toEqual(["tasks: copy 4 is in no shard"]);
  });

  it("is read only when every manifest hashes to its digest", async () => {
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { digest: D("c"), size: 7 }, layers: [{ digest: D("l"), size: 100 }] }));
    const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    const manifest = { digest, mediaType: "application/vnd.oci.image.manifest.v1+json", body: body.toString("base64") };
    const good = { ...plan, tasks: plan.tasks.map((t) => (t.id === 0 ? { ...t, manifests: [manifest] } : t)) };
    await writeFile(join(dir, "good.json"), JSON.stringify(good));
    expect((await readPlan(join(dir, "good.json"))).tasks[0]!.manifests).toEqual([manifest]);
    expect(blobsOfManifests([manifest])).toEqual({ blobs: [{ digest: D("c"), size: 7 }, { digest: D("l"), size: 100 }], size: body.length + 107 });

    const bad = { ...plan, tasks: plan.tasks.map((t) => (t.id === 0 ? { ...t, manifests: [{ ...manifest, digest: D("f") }] } : t)) };
    await writeFile(join(dir, "bad.json"), JSON.stringify(bad));
    await expect(readPlan(join(dir, "bad.json"))).rejects.toThrow(`${join(dir, "bad.json")}: task 0: manifest ${D("f")} does not match its bytes`);
  });
});
