import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlatformCache, platformCacheDir } from "../../src/engine/platform-cache.js";

const INDEX = `sha256:${"1".repeat(64)}`;
const ARM = { digest: `sha256:${"a".repeat(64)}`, mediaType: "application/vnd.oci.image.manifest.v1+json" };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirrorbot-platform-cache-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("PlatformCache", () => {
  it("remembers a platform manifest by index digest across runs", async () => {
    const first = await PlatformCache.open(dir);
    expect(first.get("docker.io/library/nginx", INDEX, "linux/arm64")).toBeUndefined();
    first.set("docker.io/library/nginx", INDEX, "linux/arm64", ARM);
    await first.save();
    const next = await PlatformCache.open(dir);
    expect(next.get("docker.io/library/nginx", INDEX, "linux/arm64")).toEqual(ARM);
    expect(next.get("docker.io/library/nginx", `sha256:${"2".repeat(64)}`, "linux/arm64")).toBeUndefined();
    expect(next.get("docker.io/library/nginx", INDEX, "linux/amd64")).toBeUndefined();
  });

  it("treats a foreign or broken file as empty", async () => {
    const broken = await mkdtemp(join(dir, "broken-"));
    await writeFile(join(broken, "platform-manifests.json"), "{not json");
    expect((await PlatformCache.open(broken)).get("docker.io/library/nginx", INDEX, "linux/arm64")).toBeUndefined();
    await writeFile(join(broken, "platform-manifests.json"), JSON.stringify({ version: 1, entries: { x: { digest: "not a digest", mediaType: "" } } }));
    expect((await PlatformCache.open(broken)).get("x", "", "")).toBeUndefined();
  });

  it("lives under MIRRORBOT_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache", async () => {
    expect(platformCacheDir({ MIRRORBOT_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/c");
    expect(platformCacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/x/mirrorbot");
    expect(platformCacheDir({ HOME: "/h" })).toBe("/h/.cache/mirrorbot");
    const saved = await readFile(join(dir, "platform-manifests.json"), "utf8");
    expect(JSON.parse(saved)).toEqual({ version: 1, entries: { [`docker.io/library/nginx@${INDEX} linux/arm64`]: ARM } });
  });
});
