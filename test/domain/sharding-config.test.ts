import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/domain/config.js";

const FILE = ".github/mirrorbot.yml";

function issues(text: string): string[] {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error("expected the config to be rejected");
}

describe("sharding config", () => {
  it("takes a shard count or auto, a budget per runner, a cap and the matrix's max-parallel", () => {
    expect(parseConfig("sharding: { shards: 4, maxParallel: 2 }\n", FILE).sharding).toEqual({ shards: 4, budgetMB: 20_000, maxShards: 8, maxParallel: 2 });
    expect(parseConfig("sharding: { budgetMB: 5000, maxShards: 32 }\n", FILE).sharding).toEqual({ shards: "auto", budgetMB: 5000, maxShards: 32, maxParallel: 8 });
  });

  it("names the key of a bad value", () => {
    expect(issues("sharding: { shards: 0 }\n")).toEqual(["sharding.shards: expected a number >= 1, got the number 0"]);
    expect(issues("sharding: { shards: many }\n")).toEqual(['sharding.shards: expected "auto" or a whole number from 1 to 256, got a string']);
    expect(issues("sharding: { maxParallel: 0 }\n")).toEqual(["sharding.maxParallel: expected a number >= 1, got the number 0"]);
    expect(issues("sharding: { shard: 2 }\n")).toEqual(['sharding.shard: unknown key; did you mean "shards"?']);
  });
});
