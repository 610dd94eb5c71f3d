/**
 * Tag sets end to end against real registries: a source holding released, partial,
 * v-prefixed, variant and prerelease tags, served through a proxy that pages tag lists the
 * way Docker Hub does (5 tags a page), and a target. `mirrorbot plan` and `mirrorbot sync`
 * run in-process; the proxy's log and the registries' access logs witness the requests.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { run as plan } from "../../src/cli/plan.js";
import { run as sync } from "../../src/cli/sync.js";
import { parseResult } from "../../src/engine/result.js";
import { listAllTags } from "../../src/engine/tag-list.js";
import { RegistryClient } from "../../src/engine/registry-client.js";
import { type PlatformSpec, seedImages } from "../harness/oci-image.js";
import { addTags, type PagingProxy, startPagingProxy } from "../harness/paging-proxy.js";
import { type RunningRegistry, startRegistry } from "../harness/registry.js";

// Real registries on a machine shared with other suites: generous bounds, never a timing assertion.
vi.setConfig({ testTimeout: 120_000 });
const TIMEOUT = 180_000;
const PAGE = 5;
const SKOPEO_CACHE = "/var/lib/containers/cache/blob-info-cache-v1.boltdb";
const tiny = (seed: string): PlatformSpec[] => [{ os: "linux", architecture: "amd64", layers: [{ seed, size: 2_000 }] }];

const RELEASES = [24, 25, 26, 27].flatMap((minor) => [0, 1, 2, 3].map((patch) => `1.${minor}.${patch}`));
const TAGS = [
  ...RELEASES,
  "1.26", "1.27",
  "v1.26.3", "v1.27.3",
  "1.26.3-alpine", "1.27.3-alpine", "1.27.3-bookworm",
  "1.28.0-rc1", "1.28.0-rc.2", "1.28.0-rc1-alpine",
  "mainline",
];

let source: RunningRegistry;
let target: RunningRegistry;
let proxy: PagingProxy;
let work: string;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function runIn(command: typeof plan, args: string[], images: string): Promise<Outcome> {
  await writeFile(join(work, "images.txt"), images);
  let stdout = "";
  let stderr = "";
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: work };
  const code = await command(["--config", "mirrorbot.yml", ...args], io, { PATH: process.env.PATH ?? "", HOME: work });
  return { code, stdout, stderr };
}

const repo = () => `${proxy.host}/library/nginx`;
const tagListCalls = () => proxy.seen.filter((r) => r.url.includes("/tags/list")).length;
const manifestCalls = (method: string) => proxy.seen.filter((r) => r.method === method && r.url.includes("/manifests/")).length;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry(), startRegistry()]);
  proxy = await startPagingProxy(source.host, PAGE);
  work = await mkdtemp(join(tmpdir(), "mirrorbot-tagsets-"));
  await writeFile(
    join(work, "mirrorbot.yml"),
    [
      "targets:",
      "  - name: local",
      `    registry: "${target.host}"`,
      "    namespace: mirror",
      "    tlsVerify: false",
      "sources:",
      `  - registry: "${proxy.host}"`,
      "    tlsVerify: false",
      "policy:",
      "  maxTagsPerRule: 10",
      "",
    ].join("\n"),
  );
  await seedImages(source, [{ repo: "library/nginx", tag: "latest", platforms: tiny("tagsets-base") }]);
  await addTags(source.url, "library/nginx", "latest", TAGS);
}, TIMEOUT);

afterAll(async () => {
  await proxy?.close();
  await Promise.all([source?.stop(), target?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe("tag listing", () => {
  it("follows Link pages to the end, and distribution 2.8 alone would answer everything at once", async () => {
    const before = tagListCalls();
    const tags = await listAllTags(new RegistryClient({ registry: proxy.host, tlsVerify: false }), "library/nginx");
    expect([...tags].sort()).toEqual([...TAGS, "latest"].sort());
    // 28 tags, 5 a page.
    expect(tagListCalls() - before).toBe(6);
    expect(proxy.seen.filter((r) => r.url.includes("/tags/list")).slice(-6).map((r) => new URL(r.url, "http://x").searchParams.get("last"))).toEqual([
      null, "1.25.0", "1.26.0", "1.27", "1.27.3-alpine", "latest",
    ]);
    const direct = await listAllTags(new RegistryClient({ registry: source.host, tlsVerify: false }), "library/nginx");
    expect(direct).toHaveLength(28);
  });
});

describe("mirrorbot plan with tag sets", () => {
  it("expands every kind of rule from one listing, with exclusions, variants, prereleases and a rename, and GETs no manifest", async () => {
    const before = { lists: tagListCalls(), gets: manifestCalls("GET"), heads: manifestCalls("HEAD") };
    const lines = [
      `${repo()}:{semver ~1.26, !v*} => web/nginx`,
      `${repo()}:{1.2?.3*, !*-bookworm}`,
      `${repo()}:{/v\\d+\\.\\d+\\.\\d+/}`,
      `${repo()}:{latest 2, variant alpine} => alpine/nginx`,
      `${repo()}:{semver >=1.28.0-0, pre}`,
      `${repo()}:{semver >=1.28.0-0}`,
      "",
    ];
    const result = await runIn(plan, ["--json"], lines.join("\n"));
    expect(result.stderr).toBe(`images.txt:6:1: warning: "${repo()}:{semver >=1.28.0-0}" matches none of the 28 tags of ${repo()}\n`);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<{ line: number; source: string; target: string; rule: string }>;
    const byLine = (line: number) => rows.filter((r) => r.line === line).map((r) => r.target.slice(`${target.host}/mirror/`.length));
    expect(byLine(1)).toEqual(["web_nginx:1.26.3", "web_nginx:1.26.2", "web_nginx:1.26.1", "web_nginx:1.26.0", "web_nginx:1.26"]);
    expect(byLine(2)).toEqual(["1.27.3", "1.27.3-alpine", "1.26.3", "1.26.3-alpine", "1.25.3", "1.24.3"].map((t) => `library_nginx:${t}`));
    expect(byLine(3)).toEqual(["library_nginx:v1.27.3", "library_nginx:v1.26.3"]);
    expect(byLine(4)).toEqual(["alpine_nginx:1.27.3-alpine", "alpine_nginx:1.26.3-alpine"]);
    expect(byLine(5)).toEqual(["library_nginx:1.28.0-rc.2", "library_nginx:1.28.0-rc1"]);
    expect(rows.find((r) => r.line === 1)).toEqual({
      line: 1,
      source: `${repo()}:1.26.3`,
      platform: null,
      target: `${target.host}/mirror/web_nginx:1.26.3`,
      rule: `${repo()}:{semver ~1.26, !v*}`,
    });
    // One listing of the repository (6 pages) for six rules, and not one manifest request.
    expect(tagListCalls() - before.lists).toBe(6);
    expect(manifestCalls("GET") - before.gets).toBe(0);
    expect(manifestCalls("HEAD") - before.heads).toBe(0);
  });

  it("shows each rule's expansion above the table", async () => {
    const result = await runIn(plan, [], `--platform=linux/amd64 ${repo()}:{latest 2, variant alpine}\n`);
    expect(result.code).toBe(0);
    const [first, blank, header, ...table] = result.stdout.trimEnd().split("\n");
    expect(first).toBe(`images.txt:1: ${repo()}:{latest 2, variant alpine} [linux/amd64] -> 2 of 28 tags: 1.27.3-alpine, 1.26.3-alpine`);
    expect(blank).toBe("");
    expect(header).toMatch(/^LINE +SOURCE +PLATFORM +TARGET$/);
    expect(table.map((l) => l.split(/ +/)[3])).toEqual([
      `${target.host}/mirror/library_nginx:1.27.3-alpine-linux-amd64`,
      `${target.host}/mirror/library_nginx:1.26.3-alpine-linux-amd64`,
    ]);
  });

  it("refuses a rule over policy.maxTagsPerRule, naming the count and the first matches, and prints no plan", async () => {
    const result = await runIn(plan, ["--json"], `nginx:1.26\n${repo()}:{*}\n`);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr:
        `images.txt:2:1: error: "${repo()}:{*}" matches 28 tags, more than policy.maxTagsPerRule (10) in mirrorbot.yml: ` +
        `1.28.0-rc.2, 1.28.0-rc1, 1.28.0-rc1-alpine, 1.27.3, v1.27.3, …; narrow the set (e.g. add "latest 10") or raise the limit\n`,
    });
  });

  it("needs no target credentials: planning reads only the source", async () => {
    const config = (await readFile(join(work, "mirrorbot.yml"), "utf8")).replace("    tlsVerify: false\nsources:", "    tlsVerify: false\n    credentials: { usernameEnv: UNSET_TARGET_USER, passwordEnv: UNSET_TARGET_PASSWORD }\nsources:");
    expect(config).toContain("UNSET_TARGET_USER");
    await writeFile(join(work, "with-target-login.yml"), config);
    await writeFile(join(work, "images.txt"), `${repo()}:{latest 1}\n`);
    let stdout = "";
    let stderr = "";
    const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, cwd: work };
    const code = await plan(["--config", "with-target-login.yml", "--json"], io, { PATH: process.env.PATH ?? "", HOME: work });
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(stdout).map((r: { target: string }) => r.target)).toEqual([`${target.host}/mirror/library_nginx:1.27.3`]);
  });

  it("names a repository the source does not have", async () => {
    const result = await runIn(plan, [], `${proxy.host}/library/nope:{*}\n`);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`images.txt:1:1: error: cannot list the tags of ${proxy.host}/library/nope: repository not found: ${proxy.host}/library/nope\n`);
  });
});

describe("mirrorbot sync with tag sets", () => {
  it("copies every matched tag, then nothing on a no-op run, then only a new upstream tag; result.json says which are new", async () => {
    await rm(SKOPEO_CACHE, { force: true });
    const images = `${repo()}:{semver ~1.27}\n`;
    const first = await runIn(sync, ["--result", "r1.json", "--summary", "s1.md"], images);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const r1 = parseResult(JSON.parse(await readFile(join(work, "r1.json"), "utf8")));
    const expected = ["1.27.3", "v1.27.3", "1.27.2", "1.27.1", "1.27.0", "1.27"];
    expect(r1.tasks.map((t) => [t.target.split(":").at(-1), t.status, t.new, t.rule, t.line])).toEqual(
      expected.map((tag) => [tag, "copied", true, `${repo()}:{semver ~1.27}`, 1]),
    );
    expect(r1.tagSets).toEqual([{ line: 1, rule: `${repo()}:{semver ~1.27}`, platform: null, tags: expected, newTags: expected, available: 28, error: null }]);
    for (const t of r1.tasks) expect(t.targetDigest).toBe(t.sourceDigest);

    // A no-op run: tag lists and HEADs only, never a manifest GET at the source.
    const gets = manifestCalls("GET");
    const second = await runIn(sync, ["--result", "r2.json"], images);
    expect(second.code).toBe(0);
    const r2 = parseResult(JSON.parse(await readFile(join(work, "r2.json"), "utf8")));
    expect(r2.summary).toMatchObject({ total: 6, copied: 0, skipped: 6, failed: 0 });
    expect(r2.tasks.every((t) => t.new === false)).toBe(true);
    expect(r2.tagSets?.[0]?.newTags).toEqual([]);
    expect(manifestCalls("GET") - gets).toBe(0);

    // Upstream publishes 1.27.4 (a different image): the next run copies it and only it.
    const [fresh] = await seedImages(source, [{ repo: "library/nginx", tag: "1.27.4", platforms: tiny("tagsets-1.27.4") }]);
    const third = await runIn(sync, ["--result", "r3.json", "--summary", "s3.md"], images);
    expect(third.code).toBe(0);
    const r3 = parseResult(JSON.parse(await readFile(join(work, "r3.json"), "utf8")));
    expect(r3.summary).toMatchObject({ total: 7, copied: 1, skipped: 6, failed: 0 });
    const copied = r3.tasks.filter((t) => t.status === "copied");
    expect(copied.map((t) => [t.target, t.new, t.targetDigest])).toEqual([[`${target.host}/mirror/library_nginx:1.27.4`, true, fresh!.digest]]);
    expect(r3.tagSets?.[0]?.newTags).toEqual(["1.27.4"]);
    const summary = await readFile(join(work, "s3.md"), "utf8");
    expect(summary).toContain(
      ["### Tag sets", "", "| Tag set | Matched | New since the last run |", "| --- | --- | --- |", `| \`${repo()}:{semver ~1.27}\` (line 1) | 7 of 29 tags | \`1.27.4\` |`].join("\n"),
    );
  }, TIMEOUT);

  it("a line whose tag does not exist fails with the closest existing tags (did you mean)", async () => {
    const result = await runIn(sync, ["--result", "r4.json", "--summary", "s4.md"], `${repo()}:v1.26.2\n${repo()}:1.26.33\n`);
    expect(result.code).toBe(1);
    const r4 = parseResult(JSON.parse(await readFile(join(work, "r4.json"), "utf8")));
    expect(r4.tasks.map((t) => t.error)).toEqual([
      `source not found: ${repo()}:v1.26.2; did you mean ${repo()}:1.26.2, ${repo()}:1.27.2 or ${repo()}:1.26.3?`,
      `source not found: ${repo()}:1.26.33; did you mean ${repo()}:1.26.3, ${repo()}:v1.26.3 or ${repo()}:1.27.3?`,
    ]);
    expect(await readFile(join(work, "s4.md"), "utf8")).toContain(`did you mean ${repo()}:1.26.2, ${repo()}:1.27.2 or ${repo()}:1.26.3?`);
  }, TIMEOUT);
});
