/**
 * The catalogue's big fixture: result files of two runs (the second sharded and selective) for
 * 2,000 images on three targets, with every freshness state, tag rules, and hostile strings
 * where registries and requests can put text. Deterministic, so tests can name exact rows.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CatalogTask } from "../../src/catalog/input.js";
import { result } from "./fixtures.js";

export const REPOSITORY = "https://github.com/octo/mirror";
export const FIRST_RUN = "1001";
export const SECOND_RUN = "1002";

/** Text that must stay text: if any of it ran, it would set window.__pwned. */
export const HOSTILE = {
  scriptSource: "docker.io/evil/<script>window.__pwned=1</script>:1",
  imgSource: 'ghcr.io/evil/<img/src=x/onerror=window.__pwned=2>:2',
  jsSource: "docker.io/evil/x:javascript:window.__pwned=3",
  bidiSource: "docker.io/evil/\u202Egnp.exe\u202C:1",
  error: 'registry said: <img src=x onerror="window.__pwned=4"> see javascript:window.__pwned=5 or https://evil.example.com/login',
  rule: "<script>window.__pwned=6</script>",
} as const;

const TARGETS = [
  { name: "hub", prefix: "registry.example.com/mirror/" },
  { name: "aliyun", prefix: "registry.cn-hangzhou.aliyuncs.com/octo/" },
  { name: "ghcr", prefix: "ghcr.io/octo/mirror/" },
] as const;
const REGISTRIES = ["docker.io", "ghcr.io", "quay.io", "registry.k8s.io", "gcr.io"] as const;

const digestOf = (i: number, version: number) => `sha256:${createHash("sha256").update(`${i}/${version}`).digest("hex")}`;

/** One image of the fixture: source, platform, rule. */
export interface FixtureImage {
  index: number;
  source: string;
  name: string;
  platform: string | null;
  rule: string | null;
  platforms: string[] | undefined;
}

/** The images, hostile ones last. */
export function fixtureImages(count = 2000): FixtureImage[] {
  const images: FixtureImage[] = [];
  const hostile = [HOSTILE.scriptSource, HOSTILE.imgSource, HOSTILE.jsSource, HOSTILE.bidiSource];
  for (let i = 0; i < count; i++) {
    // Not i % 5: the freshness states cycle with i % 5, and each registry should hold every state.
    const registry = REGISTRIES[Math.floor(i / 3) % REGISTRIES.length]!;
    const repo = registry === "docker.io" && i % 3 === 0 ? `library/app${i}` : `team${i % 40}/app${i}`;
    const name = `app${i}`;
    const tag = `1.${i % 30}.${i}`;
    const source = i >= count - hostile.length ? hostile[i - (count - hostile.length)]! : `${registry}/${repo}:${tag}`;
    images.push({
      index: i,
      source,
      name,
      platform: i % 10 === 9 ? "linux/arm64" : null,
      rule: i === count - 1 ? HOSTILE.rule : i % 7 === 0 ? `${registry}/${repo.replace(/\d+$/, "*")}:~1` : null,
      platforms: i % 10 === 9 ? undefined : i % 4 === 0 ? ["linux/amd64", "linux/arm64"] : i % 4 === 1 ? ["linux/amd64", "linux/arm/v7", "linux/arm64", "linux/s390x"] : undefined,
    });
  }
  return images;
}

function task(image: FixtureImage, target: (typeof TARGETS)[number], fields: Partial<CatalogTask>): CatalogTask {
  const suffix = image.platform ? `-${image.platform.replace(/\//g, "-")}` : "";
  return {
    line: image.index + 1,
    source: image.source,
    target: `${target.prefix}${image.name}:1.${image.index}${suffix}`,
    targetName: target.name,
    platform: image.platform,
    status: "copied",
    sourceDigest: digestOf(image.index, 1),
    targetDigest: digestOf(image.index, 1),
    size: 1_000_000 + image.index * 12_345,
    bytes: 1000,
    durationMs: 100,
    error: null,
    ...(image.rule !== null ? { rule: image.rule } : {}),
    ...(image.platforms !== undefined ? { platforms: image.platforms } : {}),
    ...fields,
  };
}

/**
 * What state each image ends in after both runs: i % 5 === 1 moved upstream and reached only
 * the hub (the other targets are behind); i % 5 === 2 failed on aliyun; the rest are fresh.
 */
export function expectedState(index: number): "fresh" | "behind" | "failed" {
  return index % 5 === 1 ? "behind" : index % 5 === 2 ? "failed" : "fresh";
}

/** Write `dir/1001/result.json` and the second run's two shards under `dir/1002/`; returns the images. */
export async function writeFixtureResults(dir: string, count = 2000): Promise<FixtureImage[]> {
  const images = fixtureImages(count);
  const first = images.flatMap((image) => TARGETS.map((target) => task(image, target, {})));
  const second = images
    .filter((image) => image.index % 5 !== 0 && image.index % 5 !== 4)
    .flatMap((image) => {
      if (image.index % 5 === 1) return [task(image, TARGETS[0], { sourceDigest: digestOf(image.index, 2), targetDigest: digestOf(image.index, 2) })];
      if (image.index % 5 === 2) {
        return TARGETS.map((target) =>
          target.name === "aliyun"
            ? task(image, target, { status: "failed", targetDigest: null, size: null, bytes: 0, error: image.index === 2 ? HOSTILE.error : "target registry said DENIED: requested access to the resource is denied" })
            : task(image, target, { status: "skipped", size: null, bytes: 0 }),
        );
      }
      return TARGETS.map((target) => task(image, target, { status: "skipped", size: null, bytes: 0 }));
    });
  const half = Math.ceil(second.length / 2);
  const files: [string, unknown][] = [
    [join(dir, FIRST_RUN, "result.json"), result("2026-11-30T03:30:00.000Z", first)],
    [join(dir, SECOND_RUN, "shard-1", "result.json"), result("2026-12-01T03:31:00.000Z", second.slice(0, half), "42-7")],
    [join(dir, SECOND_RUN, "shard-2", "result.json"), result("2026-12-01T03:32:00.000Z", second.slice(half), "42-7")],
  ];
  for (const [file, doc] of files) {
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(file, JSON.stringify(doc));
  }
  return images;
}
