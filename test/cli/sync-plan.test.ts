/** The sharding commands' arguments and plan checks: what a person sees before any registry is contacted. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run as merge } from "../../src/cli/merge.js";
import { run as plan } from "../../src/cli/plan.js";
import { run as sync } from "../../src/cli/sync.js";
import type { Plan } from "../../src/engine/plan-file.js";
import { parseResult } from "../../src/engine/result.js";
import { runCommand, useWorkdirs } from "./helpers.js";

const workdir = useWorkdirs("mirrorbot-sync-plan-");

const D = `sha256:${"a".repeat(64)}`;
const onePlan: Plan = {
  version: 1, request: null, createdAt: "2026-12-02T10:00:00.000Z", force: false,
  tasks: [{
    id: 0, line: 1, source: "docker.io/library/nginx:1.26", target: "registry.example.com/mirror/nginx:1.26", targetName: "gone", platform: null,
    action: "copy", sourceDigest: D, targetDigest: null, mediaType: "", error: null, manifests: [], missingBytes: 0,
  }],
  seed: [], shards: [{ tasks: [0], bytes: 0 }],
  stats: { uniqueBytes: 0, seedBytes: 0, duplicateBytes: 0, planningMs: 0 },
};
const emptyPlan: Plan = { ...onePlan, tasks: [], shards: [] };

const files = () => workdir({ "plan.json": JSON.stringify(onePlan), "empty.json": JSON.stringify(emptyPlan), "images.txt": "nginx:1.26\n" });
const cmd = (fn: (argv: string[], io: never) => Promise<number>) => fn as (argv: string[]) => Promise<number>;

describe("mirrorbot sync --plan", () => {
  it("refuses --shard without --plan, FILE or --only with it, and a shard that is not a number", async () => {
    const cwd = await files();
    expect(await runCommand(cmd(sync), cwd, ["--shard", "0"])).toMatchObject({ code: 2, stderr: 'mirrorbot sync: --shard needs --plan\nRun "mirrorbot sync --help" for usage.\n' });
    expect((await runCommand(cmd(sync), cwd, ["images.txt", "--plan", "plan.json"])).stderr).toContain("mirrorbot sync: --plan runs the tasks of the plan: give no FILE and no --only\n");
    expect((await runCommand(cmd(sync), cwd, ["--plan", "plan.json", "--force"])).stderr).toContain('mirrorbot sync: --force cannot be combined with --plan: give it to "mirrorbot plan --shards"\n');
    expect((await runCommand(cmd(sync), cwd, ["--plan", "plan.json", "--shard", "two"])).stderr).toContain('mirrorbot sync: --shard takes a shard number from 0, or "seed"; got "two"\n');
    expect((await runCommand(cmd(sync), cwd, ["--shards", "2"])).stderr).toContain("mirrorbot sync: --shards needs --fan-out\n");
  });

  it("names a plan it cannot use: missing, a shard it lacks, a target the config no longer has", async () => {
    const cwd = await files();
    expect(await runCommand(cmd(sync), cwd, ["--plan", "nope.json"])).toMatchObject({ code: 2, stderr: `mirrorbot sync: ${join(cwd, "nope.json")}: cannot read the plan (ENOENT)\n` });
    expect(await runCommand(cmd(sync), cwd, ["--plan", "plan.json", "--shard", "3"])).toMatchObject({ code: 2, stderr: "mirrorbot sync: the plan has 1 shard (0 to 0); there is no shard 3\n" });
    expect(await runCommand(cmd(sync), cwd, ["--plan", "plan.json", "--shard", "0"])).toMatchObject({
      code: 2,
      stderr: 'mirrorbot sync: the plan copies to target "gone", which the config has no more; plan again\n',
    });
  });

  it("writes a complete, empty result for a plan with nothing to copy", async () => {
    const cwd = await files();
    expect(await runCommand(cmd(sync), cwd, ["--plan", "empty.json", "--result", "result.json"])).toMatchObject({ code: 0, stderr: "" });
    const result = parseResult(JSON.parse(await readFile(join(cwd, "result.json"), "utf8")));
    expect(result.summary).toEqual({ total: 0, copied: 0, skipped: 0, failed: 0, bytes: 0 });
  });
});

describe("mirrorbot plan --out and mirrorbot merge", () => {
  it("refuses --json with --out, a bad shard count, and a merge without --plan or --out", async () => {
    const cwd = await files();
    expect((await runCommand(cmd(plan), cwd, ["--json", "--out", "p.json"])).stderr).toContain("mirrorbot plan: --json shows where entries go; it cannot be combined with --out\n");
    expect((await runCommand(cmd(plan), cwd, ["--shards", "2"])).stderr).toContain("mirrorbot plan: planning for shards needs --out PATH for the plan\n");
    expect((await runCommand(cmd(plan), cwd, ["--out", "p.json", "--shards", "0"])).stderr).toContain('mirrorbot plan: --shards takes a whole number from 1 to 256, got "0"\n');
    expect((await runCommand(cmd(merge), cwd, ["--out", "r.json"])).stderr).toContain("mirrorbot merge: --plan PATH is required\n");
    expect((await runCommand(cmd(merge), cwd, ["--plan", "plan.json"])).stderr).toContain("mirrorbot merge: --out PATH is required\n");
  });

  it("merges a plan whose shard left nothing: exit 1, its copy reported not run", async () => {
    const cwd = await files();
    const out = await runCommand(cmd(merge), cwd, ["--plan", "plan.json", "--out", "merged.json", "result-0.json"]);
    expect(out).toMatchObject({ code: 1, stderr: "warning: result-0.json: skipped: cannot read it (ENOENT)\n", stdout: "merged 0 results: 0 copied, 0 skipped, 1 failed (1 not run)\n" });
    const result = parseResult(JSON.parse(await readFile(join(cwd, "merged.json"), "utf8")));
    expect(result.tasks[0]).toMatchObject({ status: "failed", target: "registry.example.com/mirror/nginx:1.26", error: "not run: shard 0 reported no result (its job failed or was cancelled before writing one)" });
  });
});
