/** Results: `workflow_run.completed` turns the status comment into a table; `/retry` re-runs failures. */
import nock from "nock";
import { describe, expect, it } from "vitest";
import type { RequestState } from "../../src/app/state.js";
import { buildResult, type TaskResult } from "../../src/engine/result.js";
import { issueComment, workflowRunCompleted } from "../fixtures/payloads.js";
import { api, blockNetwork, comments, config, imagesFile, launchComment, expectQueued, R, requestReads } from "./helpers/github.js";
import { testProbot } from "./helpers/probot.js";
import { requestState, statusBody } from "./helpers/state.js";
import { buildZip } from "./helpers/zip.js";

blockNetwork();

const RUN = 4242;
const RUN_URL = `https://github.com/Codertocat/Hello-World/actions/runs/${RUN}`;
const BLOB_HOST = "https://pipelines.actions.example.net";
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

const queued = requestState({ images: ["redis:7", "nginx:1.26"], commit: "c0ffee", run: { id: RUN, url: RUN_URL } });

function task(source: string, target: string, status: TaskResult["status"], extra: Partial<TaskResult> = {}): TaskResult {
  return {
    line: null,
    source,
    target,
    targetName: "acr",
    platform: null,
    status,
    sourceDigest: DIGEST,
    targetDigest: status === "failed" ? null : DIGEST,
    size: status === "copied" ? 41_234_567 : null,
    bytes: status === "copied" ? 41_234_567 : 0,
    durationMs: 1200,
    error: null,
    ...extra,
  };
}

function resultZip(tasks: TaskResult[], request = "7-5001"): Buffer {
  const result = buildResult(tasks, { request, startedAt: new Date(0), finishedAt: new Date(1000) });
  return buildZip({ "result.json": JSON.stringify(result) });
}

/** The artifact listing and the 302 download; the zip host must not see our token. */
function artifact(scope: nock.Scope, zip: Buffer): nock.Scope {
  scope
    .get(`${R}/actions/runs/${RUN}/artifacts`)
    .query({ name: "mirror-result", per_page: "10" })
    .reply(200, { total_count: 1, artifacts: [{ id: 99, name: "mirror-result", expired: false }] })
    .get(`${R}/actions/artifacts/99/zip`)
    .reply(302, "", { location: `${BLOB_HOST}/artifact/99.zip?sig=abc` });
  return nock(BLOB_HOST, { badheaders: ["authorization"] })
    .get("/artifact/99.zip")
    .query({ sig: "abc" })
    .reply(200, zip, { "content-type": "application/zip" });
}

/**
 * The app re-reads issue 7 (labelled mirror:queued), edits status comment 9001 (its new body
 * goes to `edited`) and moves the issue's status label to `label`.
 */
function relabelled(scope: nock.Scope, label: string, edited: (body: string) => void): nock.Scope {
  return scope
    .get(`${R}/issues/7`)
    .reply(200, { number: 7, state: "open", labels: [{ name: "mirror:queued" }] })
    .patch(`${R}/issues/comments/9001`, (b) => (edited(b.body), true))
    .reply(200, {})
    .delete(`${R}/issues/7/labels/mirror%3Aqueued`)
    .reply(200, [])
    .post(`${R}/issues/7/labels`, { labels: [label] })
    .reply(200, []);
}

async function completed(probot: Awaited<ReturnType<typeof testProbot>>["probot"], conclusion = "success"): Promise<void> {
  await probot.receive({ id: "r1", name: "workflow_run", payload: workflowRunCompleted({ runId: RUN, title: "mirror 7-5001", conclusion }) as any });
}

/** A run of request 7-5001 that ends with `tasks`, the issue relabelled `label`; the status comment's new body. */
async function reportedResult(tasks: TaskResult[], label: string, conclusion = "success"): Promise<string> {
  const { probot } = await testProbot();
  let status = "";
  const scope = api();
  config(scope);
  comments(scope, 7, [{ id: 9001, body: statusBody(queued) }]);
  artifact(scope, resultZip(tasks));
  relabelled(scope, label, (body) => (status = body));
  await completed(probot, conclusion);
  expect(scope.pendingMocks()).toEqual([]);
  return status;
}

/** A run of request 7-5001 whose report ends as run-failed after `setup`'s answers; the status comment's new text. */
async function reportedFailure(setup: (scope: nock.Scope) => void, conclusion = "success"): Promise<string> {
  const { probot } = await testProbot();
  let status = "";
  const scope = api();
  config(scope);
  comments(scope, 7, [{ id: 9001, body: statusBody(queued) }]);
  setup(scope);
  scope
    .get(`${R}/issues/7`)
    .reply(200, { number: 7, state: "open", labels: [] })
    .patch(`${R}/issues/comments/9001`, (b) => ((status = b.body), true))
    .reply(200, {})
    .post(`${R}/issues/7/labels`, { labels: ["mirror:failed"] })
    .reply(200, []);
  await completed(probot, conclusion);
  expect(scope.pendingMocks()).toEqual([]);
  expect(status).toContain('"status":"failed"');
  return status;
}

describe("workflow_run.completed", () => {
  it("edits the status comment to show the pull addresses, labels done and closes the issue", async () => {
    const { probot } = await testProbot();
    let status = "";
    const scope = api();
    config(scope);
    comments(scope, 7, [{ id: 9001, body: statusBody(queued) }]);
    const blob = artifact(
      scope,
      resultZip([
        task("docker.io/library/redis:7", "registry.cn-hangzhou.aliyuncs.com/mirror/redis:7", "copied"),
        task("docker.io/library/nginx:1.26", "registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.26", "skipped"),
      ]),
    );
    relabelled(scope, "mirror:done", (body) => (status = body))
      .patch(`${R}/issues/7`, { state: "closed", state_reason: "completed" })
      .reply(200, {});

    await completed(probot);

    expect(scope.pendingMocks()).toEqual([]);
    expect(blob.pendingMocks()).toEqual([]);
    expect(status).toContain('"status":"done"');
    expect(status.split("\n").slice(2).join("\n")).toMatchInlineSnapshot(`
      "**Mirror request \`7-5001\` is done:** 1 copied, 1 already up to date, 0 failed. Run: https://github.com/Codertocat/Hello-World/actions/runs/4242

      | Image | Pull from | Status | Digest | Size |
      | --- | --- | --- | --- | --- |
      | \`redis:7\` | \`registry.cn-hangzhou.aliyuncs.com/mirror/redis:7\` | copied | \`sha256:0123456789ab\` | 41.2 MB |
      | \`nginx:1.26\` | \`registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.26\` | up to date | \`sha256:0123456789ab\` | - |

      To use them under their original names:

      \`\`\`sh
      docker pull registry.cn-hangzhou.aliyuncs.com/mirror/redis:7
      docker tag registry.cn-hangzhou.aliyuncs.com/mirror/redis:7 redis:7
      docker pull registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.26
      docker tag registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.26 nginx:1.26
      \`\`\`"
    `);
  });

  it("reports failures with their reason, labels failed and keeps the issue open", async () => {
    const status = await reportedResult(
      [
        task("docker.io/library/redis:7", "registry.cn-hangzhou.aliyuncs.com/mirror/redis:7", "failed", {
          error: "source manifest unknown: docker.io/library/redis:7 | check the `tag`",
        }),
        task("docker.io/library/nginx:1.26", "registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.26", "copied"),
      ],
      "mirror:failed",
      "failure",
    );

    expect(status).toContain('"status":"failed"');
    expect(status).toContain('"failed":["redis:7"]');
    expect(status.split("\n").slice(2).join("\n")).toMatchInlineSnapshot(`
      "**Mirror request \`7-5001\` finished with failures:** 1 copied, 0 already up to date, 1 failed. Run: https://github.com/Codertocat/Hello-World/actions/runs/4242

      | Image | Pull from | Status | Digest | Size |
      | --- | --- | --- | --- | --- |
      | \`redis:7\` | \`registry.cn-hangzhou.aliyuncs.com/mirror/redis:7\` | **failed** | - | - |
      | \`nginx:1.26\` | \`registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.26\` | copied | \`sha256:0123456789ab\` | 41.2 MB |

      To use them under their original names:

      \`\`\`sh
      docker pull registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.26
      docker tag registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.26 nginx:1.26
      \`\`\`

      Failed:

      - \`redis:7\` to \`registry.cn-hangzhou.aliyuncs.com/mirror/redis:7\`: \`source manifest unknown: docker.io/library/redis:7 | check the 'tag'\`

      Comment \`/retry\` to try the failed images again."
    `);
  });

  it("keeps the issue open and queued while another request on it is still running", async () => {
    const { probot } = await testProbot();
    let status = "";
    const scope = api();
    config(scope);
    const other = requestState({ request: "7-6000", images: ["alpine:3.20"], run: { id: 4343, url: "u" } });
    comments(scope, 7, [
      { id: 9001, body: statusBody(queued) },
      { id: 9002, body: statusBody(other) },
    ]);
    artifact(scope, resultZip([task("docker.io/library/redis:7", "r.example.com/mirror/redis:7", "copied"), task("docker.io/library/nginx:1.26", "r.example.com/mirror/nginx:1.26", "copied")]));
    // Issue 7 keeps mirror:queued: no label change, and no close.
    scope
      .get(`${R}/issues/7`)
      .reply(200, { number: 7, state: "open", labels: [{ name: "mirror:queued" }] })
      .patch(`${R}/issues/comments/9001`, (b) => ((status = b.body), true))
      .reply(200, {});

    await completed(probot);

    expect(scope.pendingMocks()).toEqual([]);
    expect(status).toContain('"status":"done"');
  });

  it("marks an earlier failed request superseded when a retry mirrors its failed lines, labels done and closes the issue", async () => {
    const { probot } = await testProbot();
    let status = "";
    let old = "";
    const scope = api();
    config(scope);
    const first = requestState({ request: "7-4000", images: ["redis:7", "nginx:1.26"], run: { id: 4100, url: "u" }, status: "failed", failed: ["redis:7", "nginx:1.26"] });
    comments(scope, 7, [
      { id: 9000, body: `${statusBody(first)}\n\nold result table` },
      { id: 9001, body: statusBody(queued) },
    ]);
    artifact(scope, resultZip([task("docker.io/library/redis:7", "r.example.com/mirror/redis:7", "copied"), task("docker.io/library/nginx:1.26", "r.example.com/mirror/nginx:1.26", "copied")]));
    relabelled(scope, "mirror:done", (body) => (status = body))
      .patch(`${R}/issues/comments/9000`, (b) => ((old = b.body), true))
      .reply(200, {})
      .patch(`${R}/issues/7`, { state: "closed", state_reason: "completed" })
      .reply(200, {});

    await completed(probot);

    expect(scope.pendingMocks()).toEqual([]);
    expect(status).toContain('"status":"done"');
    expect(old).toContain('"status":"superseded"');
    expect(old.endsWith("old result table\n\n**Superseded:** request `7-5001` mirrored every image that failed here.")).toBe(true);
  });

  it("keeps an earlier failed request when the later one mirrored only some of its failed lines", async () => {
    const { probot } = await testProbot();
    const scope = api();
    config(scope);
    const first = requestState({ request: "7-4000", images: ["redis:7", "mysql:8"], run: { id: 4100, url: "u" }, status: "failed", failed: ["redis:7", "mysql:8"] });
    comments(scope, 7, [
      { id: 9000, body: statusBody(first) },
      { id: 9001, body: statusBody(queued) },
    ]);
    artifact(scope, resultZip([task("docker.io/library/redis:7", "r.example.com/mirror/redis:7", "copied"), task("docker.io/library/nginx:1.26", "r.example.com/mirror/nginx:1.26", "copied")]));
    relabelled(scope, "mirror:failed", () => undefined);

    await completed(probot);

    expect(scope.pendingMocks()).toEqual([]);
  });

  it("counts a requested image the run reported nothing for as failed, and names it", async () => {
    const status = await reportedResult([task("docker.io/library/redis:7", "registry.cn-hangzhou.aliyuncs.com/mirror/redis:7", "copied")], "mirror:failed");
    expect(status).toContain('"failed":["nginx:1.26"]');
    expect(status).toContain("**Mirror request `7-5001` finished with failures:** 1 copied, 0 already up to date, 0 failed.");
    expect(status).toContain("- `nginx:1.26`: the run reported nothing for it");
  });

  it("finds a tag set's tasks by the set they came from: all mirrored is done, the issue closes", async () => {
    const rule = "nginx:{semver ~1.27}";
    const request = requestState({ images: [rule], commit: "c0ffee", run: { id: RUN, url: RUN_URL } });
    const { probot } = await testProbot();
    let status = "";
    const scope = api();
    config(scope);
    comments(scope, 7, [{ id: 9001, body: statusBody(request) }]);
    artifact(
      scope,
      resultZip([
        task("docker.io/library/nginx:1.27.1", "registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.27.1", "copied", { rule, new: true }),
        task("docker.io/library/nginx:1.27.0", "registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.27.0", "skipped", { rule, new: false }),
      ]),
    );
    relabelled(scope, "mirror:done", (body) => (status = body))
      .patch(`${R}/issues/7`, { state: "closed", state_reason: "completed" })
      .reply(200, {});

    await completed(probot);

    expect(scope.pendingMocks()).toEqual([]);
    expect(status).toContain('"status":"done"');
    expect(status).toContain('"failed":[]');
    expect(status).not.toContain("the run reported nothing for it");
  });

  it("replies with the run's link when the run failed before writing a result", async () => {
    const status = await reportedFailure(
      (scope) => scope.get(`${R}/actions/runs/${RUN}/artifacts`).query(true).reply(200, { total_count: 0, artifacts: [] }),
      "failure",
    );

    expect(status).toContain('"failed":["redis:7","nginx:1.26"]');
    expect(status.split("\n").slice(2).join("\n")).toMatchInlineSnapshot(`
      "**Mirror request \`7-5001\` failed before it reported a result.** Run: https://github.com/Codertocat/Hello-World/actions/runs/4242

      The run ended with \`failure\` (it uploaded no mirror-result artifact). Comment \`/retry\` to try again."
    `);
  });

  it("ignores runs that were not dispatched for a request or belong to another workflow", async () => {
    const { probot, logs } = await testProbot();
    const scope = api();
    config(scope);

    await probot.receive({ id: "r2", name: "workflow_run", payload: workflowRunCompleted({ runId: 1, title: "mirror schedule", event: "schedule" }) as any });
    await probot.receive({ id: "r3", name: "workflow_run", payload: workflowRunCompleted({ runId: 1, title: "CI" }) as any });
    await probot.receive({
      id: "r4",
      name: "workflow_run",
      payload: workflowRunCompleted({ runId: 1, title: "mirror 7-5001", path: ".github/workflows/other.yml" }) as any,
    });
    // A changed mirror.yml dispatched from another branch must not report for a request.
    await probot.receive({ id: "r5", name: "workflow_run", payload: workflowRunCompleted({ runId: 1, title: "mirror 7-5001", headBranch: "attacker" }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(logs.filter((l) => l.fields.reason).map((l) => l.fields.reason)).toEqual(["not-dispatched", "not-a-request", "other-workflow", "other-branch"]);
  });

  it("marks the request failed, with the reason, when the result cannot be reported", async () => {
    const status = await reportedFailure((scope) =>
      scope
        .get(`${R}/actions/runs/${RUN}/artifacts`)
        .query(true)
        .reply(200, { total_count: 1, artifacts: [{ id: 99, name: "mirror-result", expired: false }] })
        .get(`${R}/actions/artifacts/99/zip`)
        .reply(410, { message: "Artifact has expired" }),
    );
    expect(status).toContain("The run ended with `success` (the app could not report its result: Artifact has expired).");
  });

  it("refuses a result written for another request", async () => {
    const status = await reportedFailure((scope) => {
      artifact(scope, resultZip([task("docker.io/library/redis:7", "registry.example.com/mirror/redis:7", "copied")], "9-1"));
    });
    expect(status).toContain('(its result is for request `9-1`, not this one)');
  });

  it("refuses a result whose image names could break out of the comment's code", async () => {
    const status = await reportedFailure((scope) => {
      artifact(scope, resultZip([task("docker.io/library/redis:7", "registry.example.com/mirror/redis:7\n```\n@everyone", "copied")]));
    });
    expect(status).toContain("result.json does not match the result schema: tasks.0.target: an image reference without whitespace or control characters");
    expect(status).not.toContain("@everyone");
  });
});

describe("/retry", () => {
  const failed: RequestState = { ...queued, status: "failed", failed: ["redis:7"] };

  it("dispatches the images that failed in the last request, as a new request", async () => {
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    requestReads(scope, {
      issue: 7,
      comments: [{ id: 9001, body: statusBody(failed) }],
      images: "nginx:1.26\nredis:7\n",
      sha: "sha-9",
      login: "maya",
      role: "admin",
    });
    scope
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => ((bodies.dispatch = b), true))
      .reply(200, { workflow_run_id: 4343, run_url: "u", html_url: "https://github.com/x/runs/4343" })
      .delete(`${R}/issues/7/labels/mirror%3Afailed`)
      .reply(200, [])
      .post(`${R}/issues/7/labels`, { labels: ["mirror:queued"] })
      .reply(200, []);
    launchComment(scope, 7, 9002, (body) => (bodies.comment = { body }));

    await probot.receive({ id: "r5", name: "issue_comment", payload: issueComment({ body: "/retry", commentId: 5003, labels: ["mirror:failed"] }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(bodies.dispatch.inputs).toEqual({ images: "redis:7", request: "7-5003", force: "false" });
    expect(bodies.comment.body).toContain("**Mirror request `7-5003` is queued.** Run: https://github.com/x/runs/4343");
  });

  it("says there is nothing to retry when the last request succeeded", async () => {
    const { probot } = await testProbot();
    let reply = "";
    const scope = api();
    config(scope);
    comments(scope, 7, [{ id: 9001, body: statusBody({ ...queued, status: "done" }) }]);
    scope.post(`${R}/issues/7/comments`, (b) => ((reply = b.body), true)).reply(201, { id: 1 });

    await probot.receive({ id: "r6", name: "issue_comment", payload: issueComment({ body: "/retry", commentId: 5004 }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply).toBe("@maya, there is nothing to retry: every image of the last mirror request was mirrored.");
  });

  it("does not count the stored lines (one per platform) against maxImagesPerRequest again", async () => {
    const lines = ["redis:7", "nginx:1.26", "mysql:8.0", "alpine:3.20", "busybox:1.36", "postgres:16"].flatMap((image) =>
      ["linux/amd64", "linux/arm64"].map((p) => `--platform=${p} ${image}`),
    );
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    requestReads(scope, {
      issue: 7,
      comments: [{ id: 9001, body: statusBody({ ...queued, images: lines, status: "failed", failed: lines }) }],
      images: `${lines.join("\n")}\n`,
      sha: "sha-9",
      login: "maya",
      role: "admin",
    });
    expectQueued(scope, { issue: 7, runId: 4344, commentId: 9002 }, { dispatch: (b) => (bodies.dispatch = b) });

    await probot.receive({ id: "r7", name: "issue_comment", payload: issueComment({ body: "/retry", commentId: 5005 }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(bodies.dispatch.inputs.images.split("\n")).toEqual(lines);
  });

  it("retries every line of a request still `queued` whose run has ended without its result arriving", async () => {
    const { probot, logs } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    config(scope);
    comments(scope, 7, [{ id: 9001, body: statusBody(queued) }]);
    scope.get(`${R}/actions/runs/${RUN}`).reply(200, { id: RUN, status: "completed", conclusion: "success" });
    imagesFile(scope, "nginx:1.26\nredis:7\n", "sha-9");
    scope
      .get(`${R}/collaborators/maya/permission`)
      .reply(200, { permission: "admin", role_name: "admin", user: { login: "maya" } });
    expectQueued(scope, { issue: 7, runId: 4345, commentId: 9003 }, { dispatch: (b) => (bodies.dispatch = b) });

    await probot.receive({ id: "r8", name: "issue_comment", payload: issueComment({ body: "/retry", commentId: 5006 }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(bodies.dispatch.inputs).toEqual({ images: "redis:7\nnginx:1.26", request: "7-5006", force: "false" });
    expect(logs.find((l) => l.fields.reason === "run-ended-unreported")?.fields).toMatchObject({ request: "7-5001", run: RUN });
  });

  it("says the last request is still running while its run is in progress", async () => {
    const { probot } = await testProbot();
    let reply = "";
    const scope = api();
    config(scope);
    comments(scope, 7, [{ id: 9001, body: statusBody(queued) }]);
    scope
      .get(`${R}/actions/runs/${RUN}`)
      .reply(200, { id: RUN, status: "in_progress", conclusion: null })
      .post(`${R}/issues/7/comments`, (b) => ((reply = b.body), true))
      .reply(201, { id: 1 });

    await probot.receive({ id: "r9", name: "issue_comment", payload: issueComment({ body: "/retry", commentId: 5007 }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply).toBe("@maya, there is nothing to retry: the last mirror request is still running; its results will appear in its status comment.");
  });
});
