/**
 * `node dist/bench/tag-rules.js [--tags 2000] [--runs 3]`: what a tag set costs. A source
 * repository holds N tags of one tiny image, behind a proxy that pages tag lists 100 at a time
 * as Docker Hub does (distribution 2.8 does not page). The rule `{semver >=1}` matches all N
 * (policy.maxTagsPerRule is raised to N). Measured, median of the runs:
 *
 * - `mirrorbot plan --json`: list and expand the rule, plan N targets;
 * - `mirrorbot sync` when the target already has every tag (the daily no-op);
 * - the same no-op with the N tags written out as N plain lines, for comparison.
 *
 * Requests are counted from the paging proxy's log (source) and the target's access log.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { run as plan } from "../src/cli/plan.js";
import { run as sync } from "../src/cli/sync.js";
import { countByKind } from "../test/harness/access-log.js";
import { type PlatformSpec, seedImages } from "../test/harness/oci-image.js";
import { addTags, startPagingProxy, type PagingProxy } from "../test/harness/paging-proxy.js";
import { type RunningRegistry, startRegistry } from "../test/harness/registry.js";
import { formatMs, median } from "./report.js";

const { values } = parseArgs({ options: { tags: { type: "string", default: "2000" }, runs: { type: "string", default: "3" } } });
const N = Number(values.tags);
const RUNS = Number(values.runs);
const PAGE = 100;
const tiny: PlatformSpec[] = [{ os: "linux", architecture: "amd64", layers: [{ seed: "bench-tag-rules", size: 2_000 }] }];
const sink = { write: () => true };

interface Sample {
  ms: number;
  sourceTagPages: number;
  sourceManifestHead: number;
  sourceManifestGet: number;
  targetTagPages: number;
  targetManifestHead: number;
  targetWrites: number;
}

async function measure(
  proxy: PagingProxy,
  target: RunningRegistry,
  body: () => Promise<number>,
): Promise<Sample> {
  const seenBefore = proxy.seen.length;
  const targetBefore = (await target.settledAccessLog()).length;
  const started = performance.now();
  const code = await body();
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`exit ${code}`);
  const seen = proxy.seen.slice(seenBefore);
  const log = (await target.settledAccessLog()).slice(targetBefore);
  const kinds = countByKind(log);
  return {
    ms,
    sourceTagPages: seen.filter((r) => r.url.includes("/tags/list")).length,
    sourceManifestHead: seen.filter((r) => r.method === "HEAD" && r.url.includes("/manifests/")).length,
    sourceManifestGet: seen.filter((r) => r.method === "GET" && r.url.includes("/manifests/")).length,
    targetTagPages: log.filter((e) => e.path.endsWith("/tags/list")).length,
    targetManifestHead: kinds.manifestHead,
    targetWrites: log.filter((e) => e.method === "PUT" || e.method === "POST" || e.method === "PATCH").length,
  };
}

function row(name: string, samples: Sample[]): string {
  const m = (k: keyof Sample) => median(samples.map((s) => s[k]));
  const wall = `${formatMs(m("ms"))} [${formatMs(Math.min(...samples.map((s) => s.ms)))}-${formatMs(Math.max(...samples.map((s) => s.ms)))}]`;
  return `| ${name} | ${wall} | ${m("sourceTagPages")} / ${m("sourceManifestHead")} / ${m("sourceManifestGet")} | ${m("targetTagPages")} / ${m("targetManifestHead")} / ${m("targetWrites")} | ${samples.length} |`;
}

async function main(): Promise<void> {
  const [source, target] = await Promise.all([startRegistry(), startRegistry()]);
  const proxy = await startPagingProxy(source.host, PAGE);
  const work = await mkdtemp(join(tmpdir(), "mirrorbot-bench-tags-"));
  try {
    const tags = Array.from({ length: N }, (_, i) => `1.${Math.floor(i / 50)}.${i % 50}`);
    await seedImages(source, [{ repo: "library/app", tag: "seed", platforms: tiny }]);
    await addTags(source.url, "library/app", "seed", tags);
    // The target already mirrors every tag: the same image under the flat target name.
    await seedImages(target, [{ repo: "mirror/library_app", tag: "seed", platforms: tiny }]);
    await addTags(target.url, "mirror/library_app", "seed", tags);
    const config = [
      "targets:",
      `  - { name: local, registry: "${target.host}", namespace: mirror, tlsVerify: false }`,
      "sources:",
      `  - { registry: "${proxy.host}", tlsVerify: false }`,
      "policy:",
      `  maxTagsPerRule: ${N}`,
      "",
    ].join("\n");
    await writeFile(join(work, "mirrorbot.yml"), config);
    await writeFile(join(work, "rule.txt"), `${proxy.host}/library/app:{semver >=1}\n`);
    await writeFile(join(work, "plain.txt"), tags.map((t) => `${proxy.host}/library/app:${t}`).join("\n") + "\n");
    const io = { stdout: sink, stderr: { write: (s: string) => (process.stderr.write(s), true) }, cwd: work };
    const env = { PATH: process.env.PATH ?? "", HOME: work };

    const samples: Record<string, Sample[]> = { plan: [], rule: [], plain: [] };
    for (let i = 0; i < RUNS; i++) {
      samples.plan!.push(await measure(proxy, target, () => plan(["rule.txt", "--config", "mirrorbot.yml", "--json"], io, env)));
      samples.rule!.push(await measure(proxy, target, () => sync(["rule.txt", "--config", "mirrorbot.yml"], io, env)));
      samples.plain!.push(await measure(proxy, target, () => sync(["plain.txt", "--config", "mirrorbot.yml"], io, env)));
    }
    const ratio = median(samples.rule!.map((s) => s.ms)) / median(samples.plain!.map((s) => s.ms));
    console.log(`${N} tags, tag lists paged ${PAGE} a page; median of ${RUNS} runs, interleaved`);
    console.log("| what | wall median [min-max] | source: tag-list pages / manifest HEAD / GET | target: tag-list pages / manifest HEAD / writes | runs |");
    console.log("| --- | --- | --- | --- | --- |");
    console.log(row(`plan --json, rule \`{semver >=1}\` (${N} tags)`, samples.plan!));
    console.log(row(`sync no-op, the rule`, samples.rule!));
    console.log(row(`sync no-op, ${N} plain lines`, samples.plain!));
    console.log(`no-op with the rule / with plain lines: ${ratio.toFixed(2)}x`);
  } finally {
    await proxy.close();
    await Promise.all([source.stop(), target.stop()]);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
