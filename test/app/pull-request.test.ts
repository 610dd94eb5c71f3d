/** Pull requests that change images.txt: a check run while open, a dispatch once merged. */
import type nock from "nock";
import { describe, expect, it } from "vitest";
import { COMMUNITY, MAINTAINER, pullRequestEvent } from "../fixtures/payloads.js";
import { api, appIdentity, blockNetwork, comments, CONFIG, config, imagesFile, launchComment, expectQueued, mergedPull, R } from "./helpers/github.js";
import { testProbot } from "./helpers/probot.js";

blockNetwork();

const HEAD = "a".repeat(40);
const BASE = "b".repeat(40);
const MERGE = "c".repeat(40);

function files(scope: nock.Scope, number: number, names: string[]): void {
  scope
    .get(`${R}/pulls/${number}/files`)
    .query({ per_page: "100" })
    .reply(200, names.map((filename) => ({ filename, status: "modified" })));
}

function fileAt(scope: nock.Scope, ref: string, text: string): void {
  imagesFile(scope, text, `blob-${ref.slice(0, 4)}`, ref);
}

/** What a merged pull request #20 reads: its files (the diff adding `adds`), its comments, images.txt after the merge. */
function mergedReads(scope: nock.Scope, merged: string, adds: string[] | null): void {
  config(scope);
  comments(scope, 20);
  mergedPull(scope, 20, { adds, merged, mergeSha: MERGE });
}

describe("a pull request changing images.txt", () => {
  it("gets a failing check run with an annotation on each problem line", async () => {
    const { probot } = await testProbot();
    let check: any;
    const scope = api();
    config(scope, `${CONFIG}policy:\n  deny: ["docker.io/evil/*"]\n`);
    files(scope, 20, ["README.md", "images.txt"]);
    fileAt(scope, HEAD, "nginx:1.26\nredis:7 --arch=arm64\nevil/miner:1\nnginx:1.26\nquay.io/bitnami/redis:7\nbitnami/redis:7\n");
    fileAt(scope, BASE, "nginx:1.26\n");
    scope.post(`${R}/check-runs`, (b) => ((check = b), true)).reply(201, { id: 1 });

    await probot.receive({ id: "d1", name: "pull_request", payload: pullRequestEvent({ action: "opened", number: 20 }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(check).toMatchObject({ name: "mirrorbot / images.txt", head_sha: HEAD, status: "completed", conclusion: "failure" });
    expect(check.output.title).toBe("3 errors in images.txt");
    expect(check.output.annotations).toMatchInlineSnapshot(`
      [
        {
          "annotation_level": "failure",
          "end_column": 9,
          "end_line": 2,
          "message": "unknown flag "--arch"; only --platform is supported",
          "path": "images.txt",
          "start_column": 9,
          "start_line": 2,
        },
        {
          "annotation_level": "failure",
          "end_column": 1,
          "end_line": 3,
          "message": "docker.io/evil/miner is denied by policy.deny ("docker.io/evil/*") in .github/mirrorbot.yml",
          "path": "images.txt",
          "start_column": 1,
          "start_line": 3,
        },
        {
          "annotation_level": "warning",
          "end_column": 1,
          "end_line": 4,
          "message": "duplicate of line 1 (docker.io/library/nginx:1.26)",
          "path": "images.txt",
          "start_column": 1,
          "start_line": 4,
        },
        {
          "annotation_level": "failure",
          "end_column": 1,
          "end_line": 6,
          "message": "docker.io/bitnami/redis:7 and quay.io/bitnami/redis:7 (line 5) both map to registry.cn-hangzhou.aliyuncs.com/mirror/bitnami_redis:7 on target "acr"; give one an explicit name with "=> NAME:TAG"",
          "path": "images.txt",
          "start_column": 1,
          "start_line": 6,
        },
      ]
    `);
    expect(check.output.summary).toMatchInlineSnapshot(`
      "5 entries; 3 errors, 1 warning:

      \`\`\`
      images.txt:2:9: error: unknown flag "--arch"; only --platform is supported
      images.txt:3:1: error: docker.io/evil/miner is denied by policy.deny ("docker.io/evil/*") in .github/mirrorbot.yml
      images.txt:4:1: warning: duplicate of line 1 (docker.io/library/nginx:1.26)
      images.txt:6:1: error: docker.io/bitnami/redis:7 and quay.io/bitnami/redis:7 (line 5) both map to registry.cn-hangzhou.aliyuncs.com/mirror/bitnami_redis:7 on target "acr"; give one an explicit name with "=> NAME:TAG"
      \`\`\`"
    `);
  });

  it("gets a passing check run when the file is clean, also on synchronize", async () => {
    const { probot } = await testProbot();
    let check: any;
    const scope = api();
    config(scope);
    files(scope, 20, ["images.txt"]);
    fileAt(scope, HEAD, "nginx:1.26\nredis:7\n");
    fileAt(scope, BASE, "nginx:1.26\n");
    scope.post(`${R}/check-runs`, (b) => ((check = b), true)).reply(201, { id: 1 });

    await probot.receive({ id: "d2", name: "pull_request", payload: pullRequestEvent({ action: "synchronize", number: 20 }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(check).toMatchObject({
      conclusion: "success",
      output: { title: "images.txt is valid", summary: "2 entries, no problems.", annotations: [] },
    });
  });

  it("is left alone when it does not touch images.txt", async () => {
    const { probot, logs } = await testProbot();
    const scope = api();
    config(scope);
    files(scope, 20, ["README.md"]);

    await probot.receive({ id: "d3", name: "pull_request", payload: pullRequestEvent({ action: "reopened", number: 20 }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(logs.some((l) => l.fields.reason === "file-unchanged")).toBe(true);
  });

  /** Merge pull request #20 (id `id`) whose diff adds `adds`, leaving `merged`; returns the dispatch and the status comment. */
  async function mergeAndDispatch(merged: string, adds: string[] | null, id: number, extra?: (scope: nock.Scope) => void): Promise<{ dispatch: any; comment: string }> {
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    mergedReads(scope, merged, adds);
    extra?.(scope);
    expectQueued(scope, { issue: 20, runId: id, commentId: 1 }, { dispatch: (b) => (bodies.dispatch = b), comment: (body) => (bodies.comment = body) });

    const payload = pullRequestEvent({ action: "closed", number: 20, id, merged: true, author: COMMUNITY, sender: MAINTAINER });
    await probot.receive({ id: `d-${id}`, name: "pull_request", payload: payload as any });

    expect(scope.pendingMocks()).toEqual([]);
    return { dispatch: bodies.dispatch, comment: bodies.comment };
  }

  it("when merged, dispatches the lines it added and reports on the pull request", async () => {
    const { dispatch, comment } = await mergeAndDispatch("# mirrors\nnginx:1.26\nredis:7\n--platform=linux/arm64 mysql:8.0 # for the Pis\n", ["redis:7", "--platform=linux/arm64 mysql:8.0 # for the Pis"], 777);
    expect(dispatch).toEqual({
      ref: "master",
      inputs: { images: "redis:7\n--platform=linux/arm64 mysql:8.0", request: "20-777", force: "false" },
      return_run_details: true,
    });
    expect(comment).toContain('"kind":"pull"');
    expect(comment).toContain('"requester":{"login":"carl","id":2002}');
    expect(comment).toContain("**Mirror request `20-777` is queued.** Run: https://github.com/x/runs/777");
  });

  it("when merged, dispatches a Docker Hub path that looks like a host in full, as the check run judged it", async () => {
    const { dispatch } = await mergeAndDispatch("nginx:1.26\ndocker.io/evil.com/x:1\n", ["docker.io/evil.com/x:1"], 778);
    expect(dispatch.inputs.images).toBe("docker.io/evil.com/x:1");
  });

  it("when merged, dispatches only its own lines, not those the default branch gained since it was opened", async () => {
    // base.sha in the payload is stale: two requests committed redis and mysql since.
    const { dispatch } = await mergeAndDispatch("nginx:1.26\nredis:7\nmysql:8.0\nalpine:3.20\n", ["alpine:3.20"], 779);
    expect(dispatch.inputs.images).toBe("alpine:3.20");
  });

  it("when merged without a patch from GitHub, compares the merge commit with its first parent", async () => {
    const parent = "d".repeat(40);
    const { dispatch } = await mergeAndDispatch("nginx:1.26\nredis:7\nalpine:3.20\n", null, 780, (scope) => {
      scope.get(`${R}/commits/${MERGE}`).reply(200, { sha: MERGE, parents: [{ sha: parent }] });
      fileAt(scope, parent, "nginx:1.26\nredis:7\n");
    });
    expect(dispatch.inputs.images).toBe("alpine:3.20");
  });

  it("treats a pull request another bot opened from a request-like branch as anyone's", async () => {
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    appIdentity(scope);
    mergedReads(scope, "nginx:1.26\nredis:7\n", ["redis:7"]);
    expectQueued(scope, { issue: 20, runId: 781, commentId: 1 }, { dispatch: (b) => (bodies.dispatch = b) });

    const impostor = { login: "other-app[bot]", id: 4004, type: "Bot" as const };
    const payload = pullRequestEvent({ action: "closed", number: 20, id: 781, merged: true, headRef: "mirrorbot/request-8-1772359200", author: impostor, sender: MAINTAINER });
    await probot.receive({ id: "d-781", name: "pull_request", payload: payload as any });

    expect(scope.pendingMocks()).toEqual([]);
    // Its own request id (20-781), not the issue-8 request the branch name points at.
    expect(bodies.dispatch.inputs).toEqual({ images: "redis:7", request: "20-781", force: "false" });
  });

  it("merged into a branch other than the default one does nothing", async () => {
    const { probot, logs } = await testProbot();
    const scope = api();

    const payload = pullRequestEvent({ action: "closed", number: 20, merged: true, baseRef: "feature-x", author: COMMUNITY, sender: MAINTAINER });
    await probot.receive({ id: "d9", name: "pull_request", payload: payload as any });

    expect(scope.isDone()).toBe(false);
    expect(logs.some((l) => l.fields.reason === "not-default-branch")).toBe(true);
  });

  it("closed without merging does nothing", async () => {
    const { probot, logs } = await testProbot();
    const scope = api();

    await probot.receive({ id: "d5", name: "pull_request", payload: pullRequestEvent({ action: "closed", number: 20 }) as any });

    expect(scope.isDone()).toBe(false);
    expect(logs.some((l) => l.fields.reason === "not-merged")).toBe(true);
  });
});
