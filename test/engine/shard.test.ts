import { describe, expect, it } from "vitest";
import { planShards, shardCount, type ShardTask } from "../../src/engine/shard.js";

const MB = 1_000_000;
const blob = (name: string, mb: number) => ({ digest: `sha256:${name}`, size: mb * MB });

function task(id: number, blobs: Array<{ digest: string; size: number }>, repo = `mirror/app-${id}`, manifests = [`sha256:m${id}`]): ShardTask {
  return { id, registry: "reg.example.com", repo, blobs, manifests };
}

/** Every task id exactly once over seed and shards. */
function ids(split: ReturnType<typeof planShards>): number[] {
  return [...split.seed, ...split.shards.flat()].sort((a, b) => a - b);
}

describe("planShards", () => {
  it("keeps one shard when one is asked for", () => {
    const tasks = [task(0, [blob("a", 10)]), task(1, [blob("b", 20)])];
    const split = planShards(tasks, { shards: 1 });
    expect(split).toMatchObject({ seed: [], shards: [[0, 1]], seedBytes: 0, uniqueBytes: 30 * MB, duplicateBytes: 0 });
  });

  it("puts copies sharing a missing blob in one shard and balances the rest by bytes", () => {
    const tasks = [
      task(0, [blob("base", 50), blob("a", 10)]),
      task(1, [blob("base", 50), blob("b", 10)]),
      task(2, [blob("c", 60)]),
      task(3, [blob("d", 30)]),
      task(4, [blob("e", 30)]),
    ];
    const split = planShards(tasks, { shards: 3, taskOverheadBytes: 0 });
    expect(split.seed).toEqual([]);
    expect(split.shards).toEqual([[0, 1], [2], [3, 4]]);
    expect(split.weights).toEqual([70 * MB, 60 * MB, 60 * MB]);
    expect(split.duplicateBytes).toBe(0);
  });

  it("seeds the base layer of a component too big for one shard, and the shards then share nothing", () => {
    // Eight images on one 100 MB base, each with 50 MB of its own.
    const tasks = Array.from({ length: 8 }, (_, i) => task(i, [blob("base", 100), blob(`own${i}`, 50)]));
    const split = planShards(tasks, { shards: 4, taskOverheadBytes: 0 });
    expect(split.seed).toHaveLength(1);
    expect(split.seedBytes).toBe(150 * MB);
    expect(split.shards).toHaveLength(4);
    // Seven copies left, 50 MB each: two per shard but one.
    expect(split.weights.sort()).toEqual([100 * MB, 100 * MB, 100 * MB, 50 * MB]);
    expect(split.duplicateBytes).toBe(0);
    expect(ids(split)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("keeps two copies pushing one manifest into one repository together, even with nothing to upload", () => {
    const tasks = [task(0, [], "mirror/nginx", ["sha256:same"]), task(1, [], "mirror/nginx", ["sha256:same"]), task(2, [], "mirror/nginx", ["sha256:other"])];
    const split = planShards(tasks, { shards: 3 });
    expect(split.shards).toContainEqual([0, 1]);
    expect(split.shards).toContainEqual([2]);
  });

  it("treats one digest on two target registries as two uploads", () => {
    const a = { ...task(0, [blob("base", 10)]), registry: "one.example.com" };
    const b = { ...task(1, [blob("base", 10)]), registry: "two.example.com" };
    const split = planShards([a, b], { shards: 2, taskOverheadBytes: 0 });
    expect(split.shards).toEqual([[0], [1]]);
    expect(split).toMatchObject({ seed: [], uniqueBytes: 20 * MB, duplicateBytes: 0 });
  });

  it("makes no more shards than there are independent groups, and none for no tasks", () => {
    expect(planShards([task(0, [blob("a", 1)])], { shards: 8 }).shards).toEqual([[0]]);
    expect(planShards([], { shards: 8 })).toMatchObject({ seed: [], shards: [] });
  });
});

describe("shardCount", () => {
  it("takes the configured count, or one shard per budget of missing bytes within the cap", () => {
    expect(shardCount(3, 0, 10, 16)).toBe(3);
    expect(shardCount("auto", 0, 10 * MB, 16)).toBe(1);
    expect(shardCount("auto", 25 * MB, 10 * MB, 16)).toBe(3);
    expect(shardCount("auto", 1000 * MB, 10 * MB, 16)).toBe(16);
  });
});

describe("planShards seeds little", () => {
  it("cuts only the hubs it needs, and seeds them with the smallest copy that carries them", () => {
    // S20's shape: one amd64 base under all, a runtime under half, and two images with an arm64
    // base too. Cutting the amd64 base and the runtime is enough; the arm64 base stays in one shard.
    const tasks = Array.from({ length: 20 }, (_, i) =>
      task(i, [blob("base-amd64", 20), ...(i % 2 === 0 ? [blob("runtime", 10)] : []), blob(`own${i}`, 5), ...(i < 2 ? [blob("base-arm64", 20), blob(`own-arm${i}`, 5)] : [])]),
    );
    const split = planShards(tasks, { shards: 4, taskOverheadBytes: 0 });
    expect(split.seed).toEqual([2]);
    expect(split.seedBytes).toBe(35 * MB);
    expect(split.duplicateBytes).toBe(0);
    expect(split.shards.find((s) => s.includes(0))).toContain(1);
  });
});
